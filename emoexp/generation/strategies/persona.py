"""Persona-based prompting in stages: a sampled base persona (age, gender, nationality,
occupation, personality), an LLM-written socio-cultural background, an LLM-written situation that
causes the target emotions, and finally the text in the persona's voice.

Each stage's output is kept in the row's provenance, and each of the first three stages can
be switched off (`gen.persona.stages`) to measure what it adds. All requests of one stage go
to the backend together.
"""

from __future__ import annotations

from typing import Any

from emoexp.data.schema import Row
from emoexp.generation.context import GenerationContext, SampleDraft
from emoexp.generation.planning import plan_label_sets
from emoexp.generation.prompts import PromptTemplate, load_template

STAGES = ("base", "background", "situation")


def sample_persona(ctx: GenerationContext) -> dict[str, str]:
    pools = ctx.cfg.persona
    for name in ("ages", "genders", "nationalities", "occupations", "personality_types"):
        if not getattr(pools, name):
            raise ValueError(f"gen.persona.{name} is empty; the base stage samples from it")
    return {
        "age": ctx.rng.choice(pools.ages),
        "gender": ctx.rng.choice(pools.genders),
        "nationality": ctx.rng.choice(pools.nationalities),
        "occupation": ctx.rng.choice(pools.occupations),
        "personality": ctx.rng.choice(pools.personality_types),
    }


def describe_persona(persona: dict[str, str] | None) -> str:
    if not persona:
        return "a person"
    origin = f" from {persona['nationality']}" if persona.get("nationality") else ""
    return (
        f"a {persona['age']}-year-old {persona['gender']}{origin} "
        f"({persona['occupation']}; {persona['personality']})"
    )


def _persona_description(provenance: dict[str, Any]) -> str:
    parts = [f"The person: {describe_persona(provenance.get('persona'))}."]
    if provenance.get("background"):
        parts.append(f"Background: {provenance['background']}")
    return " ".join(parts)


def _run_stage(
    ctx: GenerationContext,
    stage: str,
    template: PromptTemplate,
    drafts: list[SampleDraft],
    rejected: list[Row],
) -> list[SampleDraft]:
    """Ask one free-text stage for every surviving draft; returns the drafts still alive."""
    requests = []
    for draft in drafts:
        language = ctx.get_language(draft.language)
        values = ctx.common_values(draft.labels, language)
        values["persona"] = describe_persona(draft.provenance.get("persona"))
        values["persona_description"] = _persona_description(draft.provenance)
        requests.append(ctx.request(template, structured=False, kind="persona", **values))
    answers = ctx.ask(requests, ctx.plain_reader(), stage)
    alive: list[SampleDraft] = []
    for draft, answer in zip(drafts, answers, strict=True):
        record = ctx.answer_provenance(answer, stage)
        draft.provenance.setdefault("stage_requests", {})[stage] = {
            "template": record["template"],
            "sample_index": record["sample_index"],
            "attempts": record["attempts"],
        }
        if answer.ok:
            draft.provenance[stage] = answer.value
            alive.append(draft)
        else:
            rejected.append(
                ctx.rejected_sample(
                    draft,
                    record.pop("reason"),
                    record.pop("reason_detail"),
                    failed_stage=stage,
                    stage_raw_reply=answer.raw,
                )
            )
    return alive


def run_persona(ctx: GenerationContext) -> tuple[list[Row], list[Row]]:
    cfg = ctx.cfg.persona
    stages = list(cfg.stages)
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise ValueError(f"gen.persona.stages: unknown {unknown}; choose from {list(STAGES)}")
    templates = {
        "background": load_template(cfg.background_template),
        "situation": load_template(cfg.situation_template),
        "text": load_template(cfg.text_template),
    }
    used_templates = {
        stage: template.id
        for stage, template in templates.items()
        if stage == "text" or stage in stages
    }
    language = ctx.get_language(ctx.language)
    drafts: list[SampleDraft] = []
    for number, labels in enumerate(
        plan_label_sets(ctx.cfg, ctx.taxonomy.labels, ctx.seed, ctx.rng)
    ):
        provenance: dict[str, Any] = {
            "persona_stages": [stage for stage in STAGES if stage in stages],
            "templates": used_templates,
            "persona": sample_persona(ctx) if "base" in stages else None,
        }
        drafts.append(SampleDraft(number, labels, language.code, provenance))

    rejected: list[Row] = []
    for stage in ("background", "situation"):
        if stage in stages:
            drafts = _run_stage(ctx, stage, templates[stage], drafts, rejected)

    requests = []
    for draft in drafts:
        situation = draft.provenance.get("situation")
        requests.append(
            ctx.request(
                templates["text"],
                structured=ctx.structured,
                json_schema=ctx.sample_schema(),
                persona_description=_persona_description(draft.provenance),
                situation_description=f"Situation: {situation}" if situation else "",
                **ctx.common_values(draft.labels, language),
            )
        )
    accepted, text_rejected = ctx.finish_samples(drafts, requests)
    return accepted, rejected + text_rejected
