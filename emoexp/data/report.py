"""Bad rows are never dropped silently: each one either stops loading or is recorded here."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

RAISE = "raise"
SKIP = "skip"
BAD_ROW_POLICIES = (RAISE, SKIP)


class DataError(ValueError):
    """A corpus file that cannot be read as its format promises; names file, line and reason."""

    def __init__(self, reason: str, file: str = "", line: int | None = None) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line is not None else (f"{file}: " if file else "")
        super().__init__(f"{where}{reason}")


class CorpusNotFoundError(FileNotFoundError):
    """Neither a local copy nor the hub could provide the corpus."""


@dataclass(frozen=True)
class SkippedRow:
    file: str
    line: int
    kind: str
    reason: str


@dataclass
class LoadReport:
    """What a loader read, from where, and every row it refused (with file, line, reason)."""

    source: str
    policy: str = SKIP
    origin: str = ""
    files: dict[str, list[str]] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    skipped: list[SkippedRow] = field(default_factory=list)
    missing_splits: list[str] = field(default_factory=list)
    ignored_splits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.policy not in BAD_ROW_POLICIES:
            raise ValueError(
                f"data.bad_rows must be one of {BAD_ROW_POLICIES}, got {self.policy!r}"
            )

    def reject(self, file: str, line: int, kind: str, reason: str) -> None:
        """Apply the bad-row policy: raise a DataError, or record the row and go on."""
        if self.policy == RAISE:
            raise DataError(f"{reason} [{kind}]", file, line)
        self.skipped.append(SkippedRow(file, line, kind, reason))

    def add_file(self, split: str, file: str) -> None:
        self.files.setdefault(split, []).append(file)

    @property
    def rows_skipped(self) -> int:
        return len(self.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "origin": self.origin,
            "bad_rows": self.policy,
            "files": self.files,
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "skipped_by_kind": dict(Counter(row.kind for row in self.skipped)),
            "skipped_rows": [asdict(row) for row in self.skipped],
            "missing_splits": self.missing_splits,
            "ignored_splits": self.ignored_splits,
        }
