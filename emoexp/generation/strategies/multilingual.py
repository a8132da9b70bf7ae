"""Culturally adapted multilingual prompting: each language's prompt carries a short hint
about its speakers' everyday frames and a setting drawn per request (situation, topic,
register, first name; emotion names in the language where known), so texts are written
natively rather than translated and a language's prompts are not all alike. Samples carry
one to `gen.max_labels_per_sample` emotions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from emoexp.data.schema import Row
from emoexp.generation.context import GenerationContext, SampleDraft
from emoexp.generation.culture import native_emotions, sample_setting
from emoexp.generation.languages import Language
from emoexp.generation.planning import plan_label_sets
from emoexp.generation.prompts import load_template

PLANS = ("per_language", "split")


def run_multilingual(ctx: GenerationContext) -> tuple[list[Row], list[Row]]:
    cfg = ctx.cfg.multilingual
    if not cfg.languages:
        raise ValueError("gen.multilingual.languages is empty")
    template = load_template(cfg.template)
    # resolve every code first: a typo fails before any request is sent
    languages = [ctx.get_language(code) for code in cfg.languages]
    if cfg.plan not in PLANS:
        raise ValueError(f"gen.multilingual.plan={cfg.plan!r}; options: {PLANS}")

    def assigned() -> Iterator[tuple[Language, tuple[str, ...]]]:
        """(language, label set) per sample, drawn lazily: the per-language plan draws
        each language's label sets after the previous language's settings, as it always has."""
        if cfg.plan == "split":
            # the plan is grouped by primary label: dealing in turn gives each language each
            # label
            plan = plan_label_sets(ctx.cfg, ctx.taxonomy.labels, ctx.seed, ctx.rng)
            for i, labels in enumerate(plan):
                yield languages[i % len(languages)], labels
            return
        for language in languages:
            for labels in plan_label_sets(ctx.cfg, ctx.taxonomy.labels, ctx.seed, ctx.rng):
                yield language, labels

    drafts: list[SampleDraft] = []
    requests = []
    for language, labels in assigned():
        setting = sample_setting(language.code, ctx.rng, cfg.pools_file or None)
        native = native_emotions(language.code, labels, cfg.pools_file or None)
        values: dict[str, Any] = {
            **ctx.common_values(labels, language),
            **setting,
            "emotions_native": f" ({native})" if native and language.code != "en" else "",
        }
        request = ctx.request(
            template,
            structured=ctx.structured,
            json_schema=ctx.sample_schema(language=language.code),
            language=language,
            **values,
        )
        prompt_sha = hashlib.sha256(
            json.dumps(request.messages, ensure_ascii=False, default=str).encode()
        ).hexdigest()[:16]
        provenance = {
            "cultural_context": language.context,
            "cultural_setting": setting,
            "native_emotions": native,
            "prompt_sha": prompt_sha,
        }
        drafts.append(SampleDraft(len(drafts), labels, language.code, provenance))
        requests.append(request)
    return ctx.finish_samples(drafts, requests)
