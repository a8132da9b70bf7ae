"""A short human-readable summary of one job, beside its metrics.json."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emoexp.config.schema import Config

HEADLINE = ("ap_micro", "ap_macro", "lrap", "auroc_micro", "auroc_macro", "f1_micro@0.5",
            "f1_macro@0.5", "f1_micro@tuned", "f1_macro@tuned", "jaccard_samples@0.5")  # fmt: skip


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def write_summary(job_dir: Path, cfg: Config, metrics: dict[str, Any]) -> Path:
    test = metrics.get("test", {})
    lines = [
        f"# emoexp job `{job_dir.name}`",
        "",
        f"- data: {cfg.data.name} -> taxonomy {cfg.taxonomy}; train rows "
        f"{metrics.get('train', {}).get('rows', '?')}, test rows {test.get('n_samples', '?')}",
        f"- model: {cfg.model.name} ({cfg.model.pretrained}, {cfg.model.pooling} pooling), "
        f"{cfg.trainer.max_epochs} epoch(s), seed {cfg.seed}",
        f"- generation: {cfg.gen.strategy}; regime: {cfg.regime}",
        *_data_lines(metrics.get("data", {})),
        *_generation_lines(metrics.get("generation", {})),
        "",
        "| test metric | value |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {_fmt(test[name])} |" for name in HEADLINE if name in test]
    absent = test.get("absent_classes") or []
    if absent:
        lines += ["", f"Classes with no positives in the test set (left out of macro averages): "
                  f"{', '.join(absent)}"]  # fmt: skip
    zero_shot = metrics.get("zero_shot") or {}
    if zero_shot:
        lines += ["", "Human-annotated sets (zero-shot unless marked in-domain):"]
    for name, result in zero_shot.items():
        if isinstance(result, dict):
            lines.append(_zero_shot_line(name, result))
    path = job_dir / "summary.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _data_lines(data: dict[str, Any]) -> list[str]:
    skipped = data.get("skipped_rows", 0)
    if not skipped:
        return []
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(data.get("skipped_by_kind", {}).items()))
    where = (
        f"; each with file, line and reason in `{data['load_report']}`"
        if data.get("load_report")
        else ""
    )
    return [f"- data: {skipped} malformed row(s) skipped ({kinds}){where}"]


def _generation_lines(generation: dict[str, Any]) -> list[str]:
    if "accepted" not in generation:
        return []
    line = (
        f"- synthetic: {generation['accepted']} generated, {generation.get('rejected', 0)} "
        f"rejected at generation"
    )
    if generation.get("missing"):
        line += (
            f"; {generation['missing']} of {generation.get('planned', '?')} planned samples "
            f"missing ({generation.get('missing_fraction', 0):.1%}, allowed by "
            f"gen.max_missing_fraction)"
        )
    return [line + "; every rejection with its stage and reason in `synthetic_rejected.jsonl`"]


def _zero_shot_line(name: str, result: dict[str, Any]) -> str:
    """One set's headline figures with what they mean: in-domain or zero-shot, its language,
    and a warning when the encoder was never pretrained on that language."""
    if "ap_micro" not in result:
        return f"- {name}: skipped ({result.get('skipped', 'not scored')})"
    kind = "in-domain" if result.get("in_domain") else "zero-shot"
    language = result.get("language", "?")
    figures = ", ".join(
        f"{label} {_fmt(result[key])}"
        for key, label in (
            ("ap_micro", "AP-micro"),
            ("lrap", "LRAP"),
            ("auroc_micro", "AUROC-micro"),
        )
        if key in result
    )
    rows = result.get("n_samples", result.get("rows", "?"))
    line = f"- {name} ({kind}, {language}, n={rows}): {figures}"
    without = result.get("without_neutral")
    if isinstance(without, dict) and without:
        line += "; without neutral: " + ", ".join(
            f"{key} {_fmt(value)}" for key, value in without.items()
        )
    if result.get("trained_language") is False:
        line += f" **[{language}: not a language of the encoder; figures at chance level]**"
    return line
