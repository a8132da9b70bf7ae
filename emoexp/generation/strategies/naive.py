"""Naive prompting: the emotion names alone, the baseline for every richer strategy."""

from __future__ import annotations

from emoexp.data.schema import Row
from emoexp.generation.context import GenerationContext, SampleDraft
from emoexp.generation.planning import plan_label_sets
from emoexp.generation.prompts import load_template


def run_naive(ctx: GenerationContext) -> tuple[list[Row], list[Row]]:
    template = load_template(ctx.cfg.naive.template)
    language = ctx.get_language(ctx.language)
    drafts: list[SampleDraft] = []
    requests = []
    for number, labels in enumerate(
        plan_label_sets(ctx.cfg, ctx.taxonomy.labels, ctx.seed, ctx.rng)
    ):
        drafts.append(SampleDraft(number, labels, language.code))
        requests.append(
            ctx.request(
                template,
                structured=ctx.structured,
                json_schema=ctx.sample_schema(),
                **ctx.common_values(labels, language),
            )
        )
    return ctx.finish_samples(drafts, requests)
