"""What a job leaves in its folder: resolved config, status, metrics and a summary.

The status file is written first as "running" and rewritten as "completed" or "failed"
(with the traceback), so a sweep report can tell finished, failed and interrupted jobs
apart, and a rerun of a sweep can skip the jobs that completed.
"""

from __future__ import annotations

import json
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from emoexp.tracking.redact import redact, redact_overrides, scrub_text

STATUS_FILE = "status.json"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.yaml"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_json(path: Path, payload: Any) -> None:
    """Write atomically: a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=_json_default))
    tmp.replace(path)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_status(job_dir: Path) -> dict[str, Any]:
    path = job_dir / STATUS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


class JobRecord:
    def __init__(self, job_dir: Path, overrides: list[str]) -> None:
        self.job_dir = job_dir
        self.overrides = overrides
        self.started = _now()
        self._t0 = time.perf_counter()

    def write_config(self, resolved: dict[str, Any]) -> None:
        (self.job_dir / CONFIG_FILE).write_text(yaml.safe_dump(resolved, sort_keys=False))

    def _status(self, status: str, **extra: Any) -> None:
        payload = {
            "status": status,
            "started": self.started,
            "overrides": redact_overrides(self.overrides),
            "duration_s": round(time.perf_counter() - self._t0, 3),
            **extra,
        }
        write_json(self.job_dir / STATUS_FILE, redact(payload))

    def running(self) -> None:
        self._status("running")

    def completed(self) -> None:
        self._status("completed", finished=_now())

    def failed(self, error: BaseException) -> None:
        self._status(
            "failed",
            finished=_now(),
            error=scrub_text(f"{type(error).__name__}: {error}"),
            traceback=scrub_text("".join(traceback.format_exception(error))),
        )
