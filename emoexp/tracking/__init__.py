"""Experiment tracking: W&B (offline by default), CSV, or none."""
