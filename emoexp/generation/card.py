"""A dataset card written from the generation config, and the push of a generated dataset to
the Hugging Face hub (off unless `gen.push_to_hub` names a repo)."""

from __future__ import annotations

import dataclasses
from typing import Any

import datasets
import yaml

from emoexp.generation.config import GenConfig

STRATEGY_DESCRIPTIONS = {
    "none": "No synthetic data (real-data baseline).",
    "naive": "The LLM is asked for a short post expressing the target emotions, named alone.",
    "shap": (
        "The prompt shows, per target emotion, the words a SHAP-explained classifier found most "
        "indicative of it and a few real seed texts of that emotion."
    ),
    "persona": (
        "Multi-stage: a persona is sampled (age, gender, occupation, personality), the LLM writes "
        "its socio-cultural background and a situation causing the target emotions, then the "
        "post in the persona's voice."
    ),
    "conversation": (
        "Dialogues between several speakers with one emotion per utterance; rows of one dialogue "
        "share `dialogue_id` and are ordered by `turn`."
    ),
    "multilingual": (
        "Posts written natively in each target language, with a short cultural-context hint per "
        "language, carrying one or more emotions."
    ),
}


def _config_dict(cfg: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return dataclasses.asdict(cfg)
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < limit:
            return name
    return "100K<n<1M"


def dataset_card(
    cfg: GenConfig | Any,
    *,
    stats: dict[str, Any] | None = None,
    taxonomy_labels: tuple[str, ...] | list[str] = (),
    language: str = "en",
) -> str:
    """A README.md (YAML front matter + prose) describing how the dataset was generated."""
    config = _config_dict(cfg)
    strategy = str(config.get("strategy", "none"))
    stats = stats or {}
    if strategy == "multilingual":
        languages = list(config.get("multilingual", {}).get("languages", [])) or [language]
    else:
        languages = [language]
    accepted = int(stats.get("accepted", 0))
    front = {
        "language": languages,
        "license": "other",
        "task_categories": ["text-classification"],
        "task_ids": ["multi-label-classification"],
        "tags": ["synthetic", "emotion", f"strategy-{strategy}"],
        "pretty_name": f"emoexp synthetic emotions ({strategy})",
        "size_categories": [_size_category(accepted)],
    }
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip(),
        "---",
        "",
        f"# Synthetic emotional text: `{strategy}` strategy",
        "",
        STRATEGY_DESCRIPTIONS.get(strategy, f"Generation strategy `{strategy}`."),
        "",
        "Every row was written by a language model, not by a person. In plain-text mode the "
        "labels are the emotions the model was asked for, not a verified annotation; filter for "
        "label consistency before treating them as ground truth.",
        "",
        "## Generation",
        "",
        f"- model: `{stats.get('model', 'unknown')}` "
        f"via the `{stats.get('backend', 'unknown')}` backend",
        f"- reply format: {'JSON, validated' if stats.get('structured') else 'plain text'}",
        f"- seed: {config.get('seed', 0)}",
        f"- languages: {', '.join(languages)}",
    ]
    if taxonomy_labels:
        lines.append(f"- labels ({len(taxonomy_labels)}): {', '.join(taxonomy_labels)}")
    if stats:
        lines += [
            f"- rows: {accepted} accepted, {int(stats.get('rejected', 0))} rejected",
            f"- LLM requests: {stats.get('requests', 0)} ({stats.get('reasks', 0)} re-asks, "
            f"{stats.get('llm_errors', 0)} failed calls)",
        ]
        rejections = stats.get("rejections") or {}
        if rejections:
            lines += ["", "### Rejections by reason", "", "| reason | rows |", "| --- | --- |"]
            lines += [f"| {reason} | {count} |" for reason, count in rejections.items()]
        per_label = stats.get("labels") or {}
        if per_label:
            lines += ["", "### Accepted rows per label", "", "| label | rows |", "| --- | --- |"]
            lines += [f"| {label} | {count} |" for label, count in per_label.items()]
    lines += [
        "",
        "## Columns",
        "",
        "`id`, `text`, `labels` (emotion names), `multi_hot` (ordered as the label list), "
        "`taxonomy`, `language`, `source` (`synthetic:<strategy>`), `split`, `dialogue_id`, "
        "`turn`, `speaker` (conversation rows), `provenance` (JSON: template and version, model, "
        "seed, persona, keywords or exemplars used, raw reply).",
        "",
        "## Configuration",
        "",
        "```yaml",
        yaml.safe_dump({"gen": config}, sort_keys=False, allow_unicode=True).strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def push_to_hub(
    repo_id: str,
    accepted: datasets.Dataset,
    rejected: datasets.Dataset,
    card: str,
    *,
    private: bool = True,
) -> None:
    """Upload the accepted rows (split `train`), the rejected ones (split `rejected`, when any)
    and the card. The token comes from the environment (HF_TOKEN) or the user's login."""
    from huggingface_hub import DatasetCard

    splits = {"train": accepted}
    if len(rejected):
        splits["rejected"] = rejected
    datasets.DatasetDict(splits).push_to_hub(repo_id, private=private)
    DatasetCard(card).push_to_hub(repo_id, repo_type="dataset")
