"""Comparing the jobs of a sweep: tables, significance tests, plots."""
