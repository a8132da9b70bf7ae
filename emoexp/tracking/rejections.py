"""Every rejected synthetic row of a job in one file of its folder, with where and why.

Generation rejects samples the LLM never answered or whose replies could not be used;
filters reject rows they judged unfit. A reader finds both in `synthetic_rejected.jsonl`,
each line naming its stage (`rejected_at`) and reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.schema import provenance_of
from emoexp.tracking.redact import redact

REJECTIONS_FILE = "synthetic_rejected.jsonl"


def _generation_reason(provenance: dict[str, Any]) -> str:
    reason = str(provenance.get("reason") or "rejected")
    detail = str(provenance.get("reason_detail") or "")
    return f"{reason}: {detail}" if detail else reason


def _filter_reason(provenance: dict[str, Any]) -> str:
    decision = provenance.get("filter_decision") or {}
    name = decision.get("rejected_by") or "filter"
    detail = decision.get("reason") or ""
    return f"{name}: {detail}" if detail else str(name)


def export_rejections(
    path: Path, generation: datasets.Dataset, filtering: datasets.Dataset
) -> dict[str, int]:
    """Write both kinds of rejected rows (provenance decoded, secrets masked); returns the
    count per stage."""
    counts = {"generate": 0, "filter": 0}
    with path.open("w", encoding="utf-8") as handle:
        for stage, rows, reason_of in (
            ("generate", generation, _generation_reason),
            ("filter", filtering, _filter_reason),
        ):
            for record in rows:
                record = dict(record)
                provenance = provenance_of(record)
                record["provenance"] = provenance
                line = {"rejected_at": stage, "reason": reason_of(provenance), **record}
                handle.write(json.dumps(redact(line), ensure_ascii=False, default=str) + "\n")
                counts[stage] += 1
    return counts
