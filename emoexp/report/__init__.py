"""Comparing the jobs of a sweep: tables, significance tests, plots.

Imported lazily: the config schema imports `emoexp.report.config` and must not pay for
pandas and matplotlib at compose time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReportError", "build_report", "collect_jobs", "render_report"]


def __getattr__(name: str) -> Any:
    if name in ("ReportError", "collect_jobs"):
        from emoexp.report import collect

        return getattr(collect, name)
    if name in ("build_report", "render_report"):
        from emoexp.report import render

        return getattr(render, name)
    raise AttributeError(f"module 'emoexp.report' has no attribute {name!r}")
