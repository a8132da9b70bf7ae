"""Where the project's own files live, independent of the working directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
CONF_DIR = PROJECT_DIR / "conf"
