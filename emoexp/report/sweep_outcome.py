"""The closing word of a sweep: which jobs failed, where, and why; and the exit status.

A failed job does not stop a sweep (the others still run), but the sweep must not look
successful: `SweepOutcome` lists every job that did not complete, with its folder and the
first line of its error, and records the failure so `python -m emoexp -m ...` exits
non-zero. Jobs are read from their `status.json`, so this works for every launcher.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("emoexp")


@dataclass(frozen=True)
class FailedJob:
    folder: Path
    status: str
    error: str


# failed jobs of the sweeps that ended in this process; `__main__` turns them into exit 1
FAILED_JOBS: list[FailedJob] = []


def _job_number(folder: Path) -> tuple[int, str]:
    return (int(folder.name), "") if folder.name.isdigit() else (1 << 30, folder.name)


def failed_jobs(sweep_dir: Path) -> tuple[int, list[FailedJob]]:
    """How many jobs the sweep folder holds, and those that did not complete."""
    statuses = sorted(sweep_dir.glob("*/status.json"), key=lambda p: _job_number(p.parent))
    failed = []
    for path in statuses:
        try:
            status: dict[str, Any] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as unreadable:
            status = {"status": "unreadable", "error": f"status.json unreadable: {unreadable}"}
        state = str(status.get("status", "unknown"))
        if state == "completed":
            continue
        error = str(status.get("error") or "")
        if not error:
            error = "interrupted (no error recorded)" if state == "running" else state
        first_line = (error.strip().splitlines() or [""])[0]
        failed.append(FailedJob(path.parent, state, first_line))
    return len(statuses), failed


def closing_summary(total: int, failed: list[FailedJob]) -> str:
    if not failed:
        return f"sweep finished: all {total} jobs completed"
    lines = [f"sweep finished: {len(failed)} of {total} jobs failed"]
    lines += [f"  {job.folder} [{job.status}]: {job.error}" for job in failed]
    return "\n".join(lines)


class SweepOutcome(Callback):
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        total, failed = failed_jobs(sweep_dir)
        summary = closing_summary(total, failed)
        if failed:
            log.error(summary)
            FAILED_JOBS.extend(failed)
        else:
            log.info(summary)
