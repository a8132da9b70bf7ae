"""Run the enabled filters over a synthetic set: score once, decide by thresholds.

`apply_filters` = `decide(cfg, synthetic, score_rows(cfg, synthetic, context))`. The two
halves are public so a pipeline can cache `FilterScores` under `scoring_key(cfg)` plus the
content hashes of the synthetic, seed and reference sets: a sweep over thresholds
(`filter.min_confidence`, lengths, `language.min_confidence`, `dedup.jaccard_threshold` at
or above `candidate_threshold`, `judge.min_score`) then re-decides in milliseconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.columns import as_table, column, rebuild
from emoexp.data.schema import provenance_of
from emoexp.filters.base import FilterContext, Measurement, Verdict
from emoexp.filters.config import FilterConfig
from emoexp.filters.registry import build_filters, enabled_filter_names
from emoexp.filters.report import build_report

SCORES_FILE = "filter_scores.json"
SCORES_FORMAT = 1
# bump when a filter's scoring code changes what cached scores would contain
SCORING_VERSION = 1


@dataclass
class FilterScores:
    """Every enabled filter's measurements of every row, in row order."""

    key: dict[str, Any]
    row_ids: list[str]
    measurements: dict[str, list[Measurement]]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SCORES_FORMAT,
            "key": self.key,
            "row_ids": self.row_ids,
            "seconds": self.seconds,
            "measurements": {
                name: [m.to_dict() for m in values] for name, values in self.measurements.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FilterScores:
        if data.get("format") != SCORES_FORMAT:
            raise ValueError(
                f"filter scores format {data.get('format')!r}; expected {SCORES_FORMAT}"
            )
        return cls(
            key=data["key"],
            row_ids=list(data["row_ids"]),
            seconds=dict(data.get("seconds", {})),
            measurements={
                name: [Measurement.from_dict(m) for m in values]
                for name, values in data["measurements"].items()
            },
        )

    def save(self, out_dir: Path) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / SCORES_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: Path) -> FilterScores:
        path = path / SCORES_FILE if path.is_dir() else path
        return cls.from_dict(json.loads(path.read_text()))


@dataclass
class FilterOutput:
    kept: datasets.Dataset
    rejected: datasets.Dataset
    report: dict[str, Any]


def scoring_key(cfg: FilterConfig) -> dict[str, Any]:
    """The configuration scores depend on: which filters run and their non-threshold
    settings. Equal keys (and equal input data) mean reusable scores."""
    return {
        "version": SCORING_VERSION,
        "filters": {f.name: f.scoring_config() for f in build_filters(cfg)},
    }


def score_rows(
    cfg: FilterConfig, synthetic: datasets.Dataset, context: FilterContext
) -> FilterScores:
    """The expensive half: every enabled filter measures every row (no thresholds)."""
    measurements: dict[str, list[Measurement]] = {}
    seconds: dict[str, float] = {}
    for quality_filter in build_filters(cfg):
        started = time.perf_counter()
        values = quality_filter.score(synthetic, context)
        if len(values) != len(synthetic):
            raise RuntimeError(
                f"filter {quality_filter.name} scored {len(values)} of {len(synthetic)} rows"
            )
        measurements[quality_filter.name] = values
        seconds[quality_filter.name] = round(time.perf_counter() - started, 4)
    return FilterScores(
        key=scoring_key(cfg),
        row_ids=[str(row_id) for row_id in column(synthetic, "id")],
        measurements=measurements,
        seconds=seconds,
    )


def decide_verdicts(
    cfg: FilterConfig, scores: FilterScores, num_rows: int
) -> dict[str, list[Verdict]]:
    """Verdicts per enabled filter. Deduplication goes last, so that only rows passing every
    other filter can be the kept member of a duplicate group."""
    filters = {f.name: f for f in build_filters(cfg)}
    missing = [name for name in filters if name not in scores.measurements]
    if missing:
        raise ValueError(
            f"the scores lack filters {missing}; score the rows again with this config"
        )
    verdicts: dict[str, list[Verdict]] = {}
    everyone = [True] * num_rows
    for name, quality_filter in filters.items():
        if name != "dedup":
            verdicts[name] = quality_filter.decide(scores.measurements[name], everyone)
    if "dedup" in filters:
        eligible = [all(v[row].keep for v in verdicts.values()) for row in range(num_rows)]
        verdicts["dedup"] = filters["dedup"].decide(scores.measurements["dedup"], eligible)
    return verdicts


def decide(cfg: FilterConfig, synthetic: datasets.Dataset, scores: FilterScores) -> FilterOutput:
    """The cheap half: thresholds turn cached scores into kept and rejected rows, with every
    filter's verdict in each row's provenance under "filters"."""
    table = as_table(synthetic)
    row_ids = [str(row_id) for row_id in table.column("id").to_pylist()]
    if row_ids != scores.row_ids:
        raise ValueError("the scores belong to other rows (ids differ); score these rows again")
    names = enabled_filter_names(cfg)
    verdicts = decide_verdicts(cfg, scores, len(synthetic))
    provenance: list[str] = []
    kept_rows: list[int] = []
    rejected_rows: list[int] = []
    first_failures: list[str | None] = []
    for row, record_provenance in enumerate(table.column("provenance").to_pylist()):
        entry = provenance_of({"provenance": record_provenance})
        entry["filters"] = {
            name: {
                "keep": verdicts[name][row].keep,
                "score": verdicts[name][row].score,
                "reason": verdicts[name][row].reason,
                "detail": scores.measurements[name][row].detail,
            }
            for name in names
        }
        failing = next((name for name in names if not verdicts[name][row].keep), None)
        entry["filter_decision"] = {
            "order": names,
            "kept": failing is None,
            "rejected_by": failing,
            "reason": verdicts[failing][row].reason if failing else None,
        }
        first_failures.append(failing)
        (kept_rows if failing is None else rejected_rows).append(row)
        provenance.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    report = build_report(
        cfg=cfg,
        names=names,
        labels_per_row=table.column("labels").to_pylist(),
        languages=table.column("language").to_pylist(),
        verdicts=verdicts,
        first_failures=first_failures,
        seconds=scores.seconds,
        key=scores.key,
    )
    return FilterOutput(
        kept=rebuild(table, kept_rows, {"provenance": [provenance[i] for i in kept_rows]}),
        rejected=rebuild(
            table, rejected_rows, {"provenance": [provenance[i] for i in rejected_rows]}
        ),
        report=report,
    )


def apply_filters(
    cfg: FilterConfig, synthetic: datasets.Dataset, context: FilterContext
) -> FilterOutput:
    """Score every row with every enabled filter, then decide; nothing is silently dropped."""
    return decide(cfg, synthetic, score_rows(cfg, synthetic, context))
