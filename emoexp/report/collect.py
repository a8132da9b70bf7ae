"""Read the jobs of a run or sweep folder into one table.

One row per job: its overrides parsed into typed columns (`gen`, `data.seed_size`,
`filter.label_consistency.threshold`, `seed`, ...), its status and error, and every number in its
metrics.json flattened to a dotted column (`test.ap_micro`, `zero_shot.meld.accuracy`).
Only JSON and YAML are read, so a 50-job sweep loads in well under a second.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

STATUS_FILE = "status.json"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.yaml"
HYDRA_OVERRIDES = Path(".hydra") / "overrides.yaml"
# bookkeeping columns every table has, before the override and metric columns
BASE_COLUMNS = (
    "job", "job_num", "status", "error", "duration_s", "started", "zero_shot_skipped"
)  # fmt: skip
MAX_DEPTH = 3

try:  # the C loader is ten times faster on the resolved configs
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class ReportError(RuntimeError):
    """A report cannot be built from what was given (no jobs, unreadable source)."""


def is_job_dir(path: Path) -> bool:
    return any((path / name).exists() for name in (STATUS_FILE, METRICS_FILE, HYDRA_OVERRIDES))


def find_job_dirs(root: Path) -> list[Path]:
    """Job folders at or below `root` (a job, a sweep, or a folder of sweeps), in job order."""
    if is_job_dir(root):
        return [root]
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        with os.scandir(folder) as entries:
            children = sorted(
                (Path(e.path) for e in entries if e.is_dir() and not e.name.startswith(".")),
                key=_job_sort_key,
            )
        for child in children:
            if is_job_dir(child):
                found.append(child)
            elif depth < MAX_DEPTH:
                walk(child, depth + 1)

    walk(root, 1)
    return found


def _job_sort_key(path: Path) -> tuple[int, int, str]:
    return (0, int(path.name), "") if path.name.isdigit() else (1, 0, path.name)


def parse_override(text: str) -> tuple[str, Any]:
    """`data.seed_size=100` -> ("data.seed_size", 100); `+x=a` and `++x=a` -> ("x", "a")."""
    key, sep, raw = text.partition("=")
    if not sep:
        return key.lstrip("~+"), None  # a deletion (~key) carries no value
    key = key.lstrip("+")
    try:
        value = yaml.load(raw, Loader=_Loader) if raw else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, list | dict):
        value = raw  # keep sweep-list values hashable and readable as written
    return key, value


def flatten(payload: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numbers of a nested dict under dotted keys; lists and strings are left out."""
    flat: dict[str, float] = {}
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, int | float):  # bool is an int: kept as 0/1
            flat[name] = float(value)
    return flat


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ReportError(f"{path} is not valid JSON: {error}") from error


def _overrides(job_dir: Path, status: dict[str, Any]) -> list[str]:
    hydra_file = job_dir / HYDRA_OVERRIDES
    if hydra_file.is_file():
        return list(yaml.load(hydra_file.read_text(), Loader=_Loader) or [])
    return list(status.get("overrides") or [])


def _config_value(config: Mapping[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    if isinstance(node, Mapping):  # a config group: its option name
        return node.get("name")
    return node


def read_job(job_dir: Path, root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(row, overrides) for one job folder; the row holds bookkeeping and flat metrics."""
    status = _read_json(job_dir / STATUS_FILE)
    metrics = _read_json(job_dir / METRICS_FILE)
    overrides = dict(parse_override(item) for item in _overrides(job_dir, status))
    relative = job_dir.relative_to(root).as_posix() if job_dir != root else job_dir.name
    row: dict[str, Any] = {
        "job": relative,
        "job_num": int(job_dir.name) if job_dir.name.isdigit() else None,
        "status": status.get("status", "unknown"),
        "error": status.get("error") or "",
        "duration_s": status.get("duration_s"),
        "started": status.get("started", ""),
        "zero_shot_skipped": skipped_sets(metrics),
        **flatten(metrics),
    }
    return row, overrides


def skipped_sets(metrics: Mapping[str, Any]) -> str:
    """`name: reason` of each zero-shot set the job could not score, joined by newlines."""
    zero_shot = metrics.get("zero_shot") or {}
    return "\n".join(
        f"{name}: {entry['skipped']}"
        for name, entry in zero_shot.items()
        if isinstance(entry, Mapping) and entry.get("skipped")
    )


def _fill_from_configs(
    job_dirs: list[Path], overrides: list[dict[str, Any]], keys: list[str]
) -> None:
    """Jobs that did not override a key another job swept get the value their config used."""
    for job_dir, job_overrides in zip(job_dirs, overrides, strict=True):
        missing = [key for key in keys if key not in job_overrides]
        if not missing:
            continue
        config_path = job_dir / CONFIG_FILE
        config = yaml.load(config_path.read_text(), Loader=_Loader) if config_path.is_file() else {}
        for key in missing:
            job_overrides[key] = _config_value(config or {}, key)


def jobs_frame(
    rows: list[dict[str, Any]], overrides: list[dict[str, Any]], source: str
) -> pd.DataFrame:
    """Assemble rows and their overrides into the report table (shared with W&B collection)."""
    keys = sorted({key for job in overrides for key in job})
    records = [
        {**row, **{key: job.get(key) for key in keys}}
        for row, job in zip(rows, overrides, strict=True)
    ]
    frame = pd.DataFrame.from_records(records)
    metric_columns = sorted(c for c in frame.columns if c not in (*BASE_COLUMNS, *keys))
    frame = frame[[*BASE_COLUMNS, *keys, *metric_columns]]
    frame.attrs["source"] = source
    frame.attrs["override_keys"] = keys
    return frame


def collect_jobs(path: str | Path) -> pd.DataFrame:
    """One row per job under `path`; `frame.attrs["override_keys"]` names the override columns."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise ReportError(f"{root} is not a folder; give a run or sweep folder")
    job_dirs = find_job_dirs(root)
    if not job_dirs:
        raise ReportError(
            f"no job folders under {root}: a job folder holds {STATUS_FILE}, {METRICS_FILE} "
            f"or {HYDRA_OVERRIDES}"
        )
    read = [read_job(job_dir, root) for job_dir in job_dirs]
    rows = [row for row, _ in read]
    overrides = [job for _, job in read]
    keys = sorted({key for job in overrides for key in job})
    if "seed" not in keys:
        keys.append("seed")  # the seed is what confidence intervals and pairing run over
    _fill_from_configs(job_dirs, overrides, keys)
    return jobs_frame(rows, overrides, str(root))


def override_keys(frame: pd.DataFrame) -> list[str]:
    return list(frame.attrs.get("override_keys", []))


def swept_keys(frame: pd.DataFrame) -> list[str]:
    """Override columns that take more than one value across the jobs."""
    return [
        key for key in override_keys(frame) if frame[key].map(_hashable).nunique(dropna=False) > 1
    ]


def _hashable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "None"
    return value


def iter_metric_columns(frame: pd.DataFrame) -> Iterator[str]:
    fixed = {*BASE_COLUMNS, *override_keys(frame)}
    for column in frame.columns:
        if column not in fixed and pd.api.types.is_numeric_dtype(frame[column]):
            yield column
