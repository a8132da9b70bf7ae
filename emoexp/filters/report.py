"""What the filters did: counts per filter, reason, class and language, JSON and Markdown."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emoexp.explain.config import plain_config
from emoexp.filters.base import PASS, Verdict
from emoexp.filters.config import FilterConfig

REPORT_JSON = "filter_report.json"
REPORT_MARKDOWN = "filter_report.md"
CACHE_NOTE = (
    "Scores (FilterScores, filter_scores.json) depend only on scoring_key, the synthetic "
    "rows and the seed/reference sets; cache them under a hash of those. Thresholds only "
    "change decide(), which reuses cached scores."
)


def group_counts(
    groups_per_row: Sequence[Sequence[str]],
    first_failures: Sequence[str | None],
) -> dict[str, dict[str, Any]]:
    """input/kept/rejected per group (a multi-label row counts once under each label)."""
    table: dict[str, dict[str, Any]] = {}
    for groups, failing in zip(groups_per_row, first_failures, strict=True):
        for group in groups:
            entry = table.setdefault(
                group, {"input": 0, "kept": 0, "rejected": 0, "rejected_by": {}}
            )
            entry["input"] += 1
            if failing is None:
                entry["kept"] += 1
            else:
                entry["rejected"] += 1
                entry["rejected_by"][failing] = entry["rejected_by"].get(failing, 0) + 1
    return dict(sorted(table.items()))


def label_counts(labels_per_row: Sequence[Sequence[str]]) -> dict[str, int]:
    return dict(sorted(Counter(label for labels in labels_per_row for label in labels).items()))


def build_report(
    *,
    cfg: FilterConfig,
    names: list[str],
    labels_per_row: Sequence[Sequence[str]],
    languages: Sequence[str],
    verdicts: dict[str, list[Verdict]],
    first_failures: Sequence[str | None],
    seconds: dict[str, float],
    key: dict[str, Any],
) -> dict[str, Any]:
    total = len(first_failures)
    per_filter = {}
    for name in names:
        column = verdicts[name]
        per_filter[name] = {
            "passed": sum(v.keep for v in column),
            "failed": sum(not v.keep for v in column),
            "first_failure": sum(failing == name for failing in first_failures),
            "unscored": sum(v.score is None for v in column),
            "reasons": dict(Counter(v.reason for v in column if v.reason != PASS).most_common()),
            "score_seconds": seconds.get(name),
        }
    first_reasons = Counter(
        verdicts[failing][row].reason
        for row, failing in enumerate(first_failures)
        if failing is not None
    )
    all_failing = Counter(
        verdict.reason for name in names for verdict in verdicts[name] if not verdict.keep
    )
    kept_labels = [
        labels for labels, f in zip(labels_per_row, first_failures, strict=True) if f is None
    ]
    kept = sum(failing is None for failing in first_failures)
    return {
        "enabled": bool(cfg.enabled),
        "order": names,
        "input_rows": total,
        "kept_rows": kept,
        "rejected_rows": total - kept,
        "per_filter": per_filter,
        "rejected_by_reason": dict(first_reasons.most_common()),
        "failing_verdicts_by_reason": dict(all_failing.most_common()),
        "per_class": group_counts(labels_per_row, first_failures),
        "per_language": group_counts([[lang or "unknown"] for lang in languages], first_failures),
        "label_distribution": {
            "before": label_counts(labels_per_row),
            "after": label_counts(kept_labels),
        },
        "config": plain_config(cfg),
        "scoring_key": key,
        "cache": CACHE_NOTE,
    }


def markdown_table(report: dict[str, Any]) -> str:
    lines = [
        f"# Filter report: {report['kept_rows']} of {report['input_rows']} rows kept",
        "",
    ]
    if not report["enabled"] or not report["order"]:
        lines.append("No filter was enabled; every row was kept.")
        return "\n".join(lines) + "\n"
    lines += [
        "| filter | passed | failed | first failure | top reasons |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name in report["order"]:
        entry = report["per_filter"][name]
        reasons = ", ".join(f"{r} ({n})" for r, n in list(entry["reasons"].items())[:3]) or "-"
        lines.append(
            f"| {name} | {entry['passed']} | {entry['failed']} "
            f"| {entry['first_failure']} | {reasons} |"
        )
    lines += ["", "| class | input | kept | rejected |", "| --- | ---: | ---: | ---: |"]
    for label, entry in report["per_class"].items():
        lines.append(f"| {label} | {entry['input']} | {entry['kept']} | {entry['rejected']} |")
    lines += ["", "| language | input | kept | rejected |", "| --- | ---: | ---: | ---: |"]
    for language, entry in report["per_language"].items():
        lines.append(f"| {language} | {entry['input']} | {entry['kept']} | {entry['rejected']} |")
    return "\n".join(lines) + "\n"


def write_filter_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """filter_report.json (everything) and filter_report.md (the tables a reader wants)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / REPORT_JSON
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    markdown_path = out_dir / REPORT_MARKDOWN
    markdown_path.write_text(markdown_table(report))
    return json_path, markdown_path
