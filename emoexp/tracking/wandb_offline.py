"""Read offline W&B runs (`wandb/offline-run-*/run-*.wandb`) with no server and no login.

A `.wandb` file is W&B's transaction log: a 7-byte header (`:W&B`, magic 0xBEE1, version 0)
followed by LevelDB's log framing (32 KiB blocks; a record split into FULL, FIRST, MIDDLE and
LAST chunks, each with a CRC-32 of its type byte and bytes), each record one `wandb.proto`
`Record`. wandb 0.31 no longer ships a Python reader (`wandb.sdk.internal.datastore` is gone;
`wandb leet inspect --json` reads it in the Go core, a second or so per file), so the framing
is decoded here and the records with wandb's own protobuf classes; a test checks that both
readers agree. `wandb sync` remains the way to publish these runs.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32768
CHUNK_HEADER = struct.Struct("<IHB")  # crc32, length, chunk type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


class OfflineRunError(ValueError):
    """A .wandb file that is not a W&B transaction log, or whose bytes are corrupt."""


@dataclass
class OfflineRun:
    """What one offline run holds: its identity, config, summary, history and artifacts."""

    path: Path
    run_id: str = ""
    name: str = ""
    project: str = ""
    group: str = ""
    job_type: str = ""
    tags: list[str] = field(default_factory=list)
    start_time: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    exit_code: int | None = None
    runtime_s: float | None = None
    # False when the log ends in the middle of a record (a run killed while writing)
    complete: bool = True

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    @property
    def state(self) -> str:
        if self.exit_code is None:
            return "running"
        return "finished" if self.exit_code == 0 else "failed"

    def table(self, key: str) -> dict[str, Any]:
        """A logged W&B Table as {"columns": [...], "data": [[...], ...]}."""
        entry = self.summary.get(key)
        if not isinstance(entry, dict) or entry.get("_type") != "table-file":
            raise KeyError(f"run {self.run_id} logged no table under {key!r}")
        return dict(json.loads((self.run_dir / "files" / entry["path"]).read_text()))

    def artifact(self, artifact_type: str, prefix: str = "") -> dict[str, Any]:
        found = [
            a for a in self.artifacts if a["type"] == artifact_type and a["name"].startswith(prefix)
        ]
        if not found:
            raise KeyError(f"run {self.run_id} logged no {artifact_type} artifact {prefix!r}")
        return found[-1]


def find_run_logs(root: Path) -> list[Path]:
    """The .wandb logs at or below `root` (a job, a sweep, a wandb dir): offline runs, and
    the local copy an online run keeps (`wandb/run-*/run-*.wandb`)."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("run-*.wandb") if p.parent.name.startswith(("offline-run-", "run-"))
    )


def iter_records(path: Path) -> tuple[list[Any], bool]:
    """(records, complete): every `wandb.proto` Record in the log, in order."""
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    if data[: len(HEADER)] != HEADER:
        raise OfflineRunError(f"{path} is not a W&B transaction log (bad header)")
    records: list[Any] = []
    pending = b""
    in_record = False
    pos = len(HEADER)
    while pos < len(data):
        left = BLOCK_SIZE - pos % BLOCK_SIZE
        if left < CHUNK_HEADER.size:  # the rest of a block too short for a header is padding
            pos += left
            continue
        if pos + CHUNK_HEADER.size > len(data):
            return records, False
        checksum, length, kind = CHUNK_HEADER.unpack_from(data, pos)
        start = pos + CHUNK_HEADER.size
        if kind == 0 and length == 0:  # zero padding at the end of a block
            pos += left
            continue
        chunk = data[start : start + length]
        if len(chunk) < length:
            return records, False
        if zlib.crc32(chunk, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != checksum:
            raise OfflineRunError(f"{path}: checksum mismatch at byte {pos}; the file is corrupt")
        pos = start + length
        if kind in (FULL, FIRST):
            pending, in_record = chunk, kind == FIRST
        elif kind in (MIDDLE, LAST) and in_record:
            pending += chunk
            in_record = kind == MIDDLE
        else:
            raise OfflineRunError(f"{path}: unexpected chunk type {kind} at byte {pos}")
        if not in_record:
            record = wandb_internal_pb2.Record()  # type: ignore[attr-defined]
            record.ParseFromString(pending)
            records.append(record)
    return records, not in_record


def _path_of(item: Any) -> list[str]:
    return list(item.nested_key) if item.nested_key else [item.key]


def _set(tree: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            child = tree[part] = {}
        tree = child
    tree[path[-1]] = value


def _remove(tree: dict[str, Any], path: list[str]) -> None:
    for part in path[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            return
        tree = child
    tree.pop(path[-1], None)


def _value(item: Any) -> Any:
    """An item's value: JSON text, or (history items of newer writers) a typed field."""
    if item.value_json:
        return json.loads(item.value_json)
    which = item.WhichOneof("value") if "value" in item.DESCRIPTOR.oneofs_by_name else None
    if which is None or which == "none":
        return None
    raw = getattr(item, which)
    return json.loads(raw) if which == "json" else raw


def read_offline_run(path: Path) -> OfflineRun:
    """Replay one .wandb log into the state the W&B server would hold after `wandb sync`."""
    records, complete = iter_records(path)
    run = OfflineRun(path=Path(path), complete=complete)
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            info = record.run
            run.run_id, run.name, run.project = info.run_id, info.display_name, info.project
            run.group, run.job_type, run.tags = info.run_group, info.job_type, list(info.tags)
            if info.HasField("start_time"):
                run.start_time = info.start_time.ToDatetime(timezone.utc).isoformat(
                    timespec="seconds"
                )
            for item in info.config.update:
                _set(run.config, _path_of(item), _value(item))
        elif kind == "config":
            for item in record.config.update:
                _set(run.config, _path_of(item), _value(item))
            for item in record.config.remove:
                _remove(run.config, _path_of(item))
        elif kind == "summary":
            for item in record.summary.update:
                _set(run.summary, _path_of(item), _value(item))
            for item in record.summary.remove:
                _remove(run.summary, _path_of(item))
        elif kind == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                _set(row, _path_of(item), _value(item))
            run.history.append(row)
        elif kind == "artifact":
            art = record.artifact
            run.artifacts.append(
                {
                    "name": art.name,
                    "type": art.type,
                    "digest": art.digest,
                    "description": art.description,
                    "metadata": json.loads(art.metadata) if art.metadata else {},
                    "aliases": list(art.aliases),
                    "entries": [
                        {"path": e.path, "ref": e.ref, "digest": e.digest, "size": e.size}
                        for e in art.manifest.contents
                    ],
                }
            )
        elif kind == "files":
            run.files += [f.path for f in record.files.files]
        elif kind == "exit":
            run.exit_code, run.runtime_s = record.exit.exit_code, float(record.exit.runtime)
    run.config.pop("_wandb", None)
    return run
