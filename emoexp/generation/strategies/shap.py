"""SHAP-guided prompting: per requested emotion, the words a classifier found most
indicative of it plus a few real seed texts, so generations land near what the classifier
actually uses, not near the LLM's stereotype of the emotion."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emoexp.data.schema import Row
from emoexp.generation.context import GenerationContext, SampleDraft
from emoexp.generation.planning import plan_label_sets
from emoexp.generation.prompts import load_template

KeywordTable = dict[str, list[tuple[str, float]]]


def normalize_keywords(keywords: Any) -> KeywordTable:
    """label -> [(word, score)], strongest first, from the explain stage's mapping (or an
    object carrying one as `.per_class`) or a decoded keywords.json. Accepted entries:
    [word, score] pairs, {"word", "score"} objects, or bare words."""
    if hasattr(keywords, "per_class"):
        keywords = keywords.per_class
    if isinstance(keywords, Mapping) and len(keywords) == 1:
        ((only_key, only_value),) = keywords.items()
        if only_key in {"per_class", "keywords"} and isinstance(only_value, Mapping):
            keywords = only_value
    if not isinstance(keywords, Mapping):
        raise TypeError(
            f"keywords must map each label to [(word, score), ...], got {type(keywords).__name__}"
        )
    table: KeywordTable = {}
    for label, entries in keywords.items():
        pairs: list[tuple[str, float]] = []
        for entry in entries:
            if isinstance(entry, str):
                pairs.append((entry, 0.0))
            elif isinstance(entry, Mapping):
                pairs.append((str(entry["word"]), float(entry.get("score", 0.0))))
            else:
                word, score = entry
                pairs.append((str(word), float(score)))
        table[str(label)] = sorted(pairs, key=lambda pair: -pair[1])
    return table


def read_keywords_file(path: str | Path) -> KeywordTable:
    """The explain stage's keywords.json (or its folder), or a hand-written JSON object
    mapping each label to its words."""
    # imported here: the explain package pulls in shap, which a non-SHAP run never needs
    from emoexp.explain.keywords import KEYWORDS_FILE, Keywords

    file = Path(path)
    if file.is_dir():
        file = file / KEYWORDS_FILE
    if not file.is_file():
        raise FileNotFoundError(f"gen.shap.keywords_file {file} does not exist")
    data = json.loads(file.read_text(encoding="utf-8"))
    if isinstance(data, Mapping) and "format_version" in data:
        return normalize_keywords(Keywords.from_dict(dict(data)))
    return normalize_keywords(data)


def _exemplar_pool(ctx: GenerationContext) -> dict[str, list[tuple[str, str]]]:
    pool: dict[str, list[tuple[str, str]]] = {label: [] for label in ctx.taxonomy.labels}
    if ctx.seed is None or len(ctx.seed) == 0:
        return pool
    for row_id, text, labels in zip(
        ctx.seed["id"], ctx.seed["text"], ctx.seed["labels"], strict=True
    ):
        for label in labels:
            if label in pool:
                pool[label].append((row_id, text))
    return pool


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def run_shap(ctx: GenerationContext) -> tuple[list[Row], list[Row]]:
    cfg = ctx.cfg.shap
    if cfg.keywords_file:
        table = read_keywords_file(cfg.keywords_file)
        source = cfg.keywords_file
    elif ctx.keywords is not None:
        table = normalize_keywords(ctx.keywords)
        source = "explain"
    else:
        raise ValueError(
            "gen.strategy=shap needs keywords: run the explain stage or set gen.shap.keywords_file"
        )
    template = load_template(cfg.template)
    language = ctx.get_language(ctx.language)
    pool = _exemplar_pool(ctx)
    missing_keywords = sorted(label for label in ctx.taxonomy.labels if not table.get(label))
    if missing_keywords:
        ctx.stats.notes.append(f"no SHAP keywords for {missing_keywords}")
    drafts: list[SampleDraft] = []
    requests = []
    for number, labels in enumerate(
        plan_label_sets(ctx.cfg, ctx.taxonomy.labels, ctx.seed, ctx.rng)
    ):
        used_keywords = {
            label: [w for w, _ in table.get(label, [])[: cfg.keywords_per_label]]
            for label in labels
        }
        exemplars: list[tuple[str, str]] = []
        for label in labels:
            candidates = [item for item in pool[label] if item not in exemplars]
            exemplars.extend(
                ctx.rng.sample(candidates, min(cfg.exemplars_per_label, len(candidates)))
            )
        keyword_lines = [
            f"- {label}: {', '.join(words)}" for label, words in used_keywords.items() if words
        ]
        exemplar_lines = [f"- {_shorten(text, cfg.max_exemplar_chars)}" for _, text in exemplars]
        drafts.append(
            SampleDraft(
                number,
                labels,
                language.code,
                {
                    "keywords": used_keywords,
                    "keywords_source": source,
                    "exemplar_ids": [row_id for row_id, _ in exemplars],
                },
            )
        )
        requests.append(
            ctx.request(
                template,
                structured=ctx.structured,
                json_schema=ctx.sample_schema(),
                exemplars="\n".join(exemplar_lines) or "- (none available)",
                keywords="\n".join(keyword_lines) or "- (none available)",
                **ctx.common_values(labels, language),
            )
        )
    return ctx.finish_samples(drafts, requests)
