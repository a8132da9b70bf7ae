"""Comparing the jobs of a sweep: tables, significance tests, plots."""

from emoexp.report.collect import ReportError, collect_jobs
from emoexp.report.render import build_report, render_report

__all__ = ["ReportError", "build_report", "collect_jobs", "render_report"]
