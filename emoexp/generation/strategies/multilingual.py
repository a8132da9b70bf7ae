"""Culturally adapted multilingual prompting: each language's prompt carries a short hint
about its speakers' everyday frames, so texts are written natively rather than translated,
and samples carry one to `gen.max_labels_per_sample` emotions."""

from __future__ import annotations

from emoexp.data.schema import Row
from emoexp.generation.context import GenerationContext, SampleDraft
from emoexp.generation.planning import plan_label_sets
from emoexp.generation.prompts import load_template


def run_multilingual(ctx: GenerationContext) -> tuple[list[Row], list[Row]]:
    cfg = ctx.cfg.multilingual
    if not cfg.languages:
        raise ValueError("gen.multilingual.languages is empty")
    template = load_template(cfg.template)
    # resolve every code first: a typo fails before any request is sent
    languages = [ctx.get_language(code) for code in cfg.languages]
    drafts: list[SampleDraft] = []
    requests = []
    for language in languages:
        for labels in plan_label_sets(ctx.cfg, ctx.taxonomy.labels, ctx.seed, ctx.rng):
            drafts.append(
                SampleDraft(
                    len(drafts), labels, language.code, {"cultural_context": language.context}
                )
            )
            requests.append(
                ctx.request(
                    template,
                    structured=ctx.structured,
                    json_schema=ctx.sample_schema(with_language=True),
                    **ctx.common_values(labels, language),
                )
            )
    return ctx.finish_samples(drafts, requests)
