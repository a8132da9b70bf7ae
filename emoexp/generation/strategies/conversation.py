"""Whole dialogues between two or more speakers, one emotion per utterance.

The label plan is a pool of utterance emotions (uniform, like the seed set, or filling the
seed set's rare classes, optionally keeping a share of neutral turns) shuffled into dialogues
of `turns_min`..`turns_max` turns; with `arc: llm` the LLM proposes each dialogue's emotion
sequence instead, and the plan only sets lengths, speakers and settings. Plain-text
mode asks for one utterance per request with the previous turns as context, all dialogues'
turn t in one batch, which works even with a 135M model (or, with `plain_mode: lines`, a
whole dialogue as "Name: utterance" lines). JSON mode asks a capable model for the whole
dialogue as a list of {speaker, text, emotion} in one request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from emoexp.data.schema import NO_TURN, Row
from emoexp.generation.asking import ParsedAnswer, Reader
from emoexp.generation.completeness import LLM_ERROR
from emoexp.generation.context import GenerationContext
from emoexp.generation.planning import largest_remainder, primary_label_counts
from emoexp.generation.prompts import PromptTemplate, load_template
from emoexp.generation.replies import Parsed, read_dialogue_lines, read_json_dialogue, reject


@dataclass
class DialoguePlan:
    number: int
    dialogue_id: str
    setting: str
    speakers: list[str]
    # (speaker, emotion) per planned turn
    turns: list[tuple[str, str]]
    # (speaker, text, emotion, answer provenance) per accepted turn
    done: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    # "plan" or "llm": who chose the emotion of each turn
    arc_source: str = "plan"


def _validate(ctx: GenerationContext) -> None:
    cfg = ctx.cfg.conversation
    if cfg.speakers < 2:
        raise ValueError(f"gen.conversation.speakers must be >= 2, got {cfg.speakers}")
    if len(set(cfg.speaker_names)) < cfg.speakers:
        raise ValueError(
            f"gen.conversation.speaker_names has {len(set(cfg.speaker_names))} distinct names "
            f"for {cfg.speakers} speakers"
        )
    if not 2 <= cfg.turns_min <= cfg.turns_max:
        raise ValueError(
            "gen.conversation needs 2 <= turns_min <= turns_max, "
            f"got {cfg.turns_min} and {cfg.turns_max}"
        )
    if not cfg.settings:
        raise ValueError("gen.conversation.settings is empty")
    if cfg.arc not in ("plan", "llm"):
        raise ValueError(f"gen.conversation.arc must be plan or llm, got {cfg.arc!r}")
    if not 0.0 <= cfg.neutral_share < 1.0:
        raise ValueError(
            f"gen.conversation.neutral_share must be within [0, 1), got {cfg.neutral_share}"
        )
    if cfg.plain_mode not in ("turns", "lines"):
        raise ValueError(
            f"gen.conversation.plain_mode must be turns or lines, got {cfg.plain_mode!r}"
        )


def _dialogue_lengths(total: int, ctx: GenerationContext) -> list[int]:
    cfg = ctx.cfg.conversation
    lengths: list[int] = []
    remaining = total
    while remaining > 0:
        length = min(ctx.rng.randint(cfg.turns_min, cfg.turns_max), remaining)
        if length < 2 and lengths:
            # a one-line remainder joins the previous dialogue rather than standing alone
            lengths[-1] += length
        else:
            lengths.append(length)
        remaining -= length
    return lengths


def plan_dialogues(ctx: GenerationContext) -> list[DialoguePlan]:
    """Shuffle the planned utterance emotions into dialogues with speakers and a setting."""
    cfg = ctx.cfg.conversation
    counts = primary_label_counts(ctx.cfg, ctx.taxonomy.labels, ctx.seed)
    counts = keep_neutral_share(counts, cfg.neutral_label, cfg.neutral_share)
    emotions = [label for label in ctx.taxonomy.labels for _ in range(counts[label])]
    ctx.rng.shuffle(emotions)
    plans: list[DialoguePlan] = []
    position = 0
    for number, length in enumerate(_dialogue_lengths(len(emotions), ctx)):
        speakers = ctx.rng.sample(list(dict.fromkeys(cfg.speaker_names)), cfg.speakers)
        order = [speakers[0]]
        while len(order) < length:
            others = [name for name in speakers if name != order[-1]]
            order.append(others[0] if len(speakers) == 2 else ctx.rng.choice(others))
        plans.append(
            DialoguePlan(
                number=number,
                dialogue_id=f"{ctx.cfg.strategy}-s{ctx.cfg.seed}-d{number:05d}",
                setting=ctx.rng.choice(cfg.settings),
                speakers=speakers,
                turns=list(zip(order, emotions[position : position + length], strict=True)),
            )
        )
        position += length
    return plans


def keep_neutral_share(counts: dict[str, int], neutral: str, share: float) -> dict[str, int]:
    """At least `share` of all turns for the neutral class, the rest split among the other
    classes as the plan had them: real conversations are mostly neutral turns, and a
    dialogue where every line is emotional reads like no dialogue of the benchmark."""
    if share <= 0 or neutral not in counts:
        return counts
    total = sum(counts.values())
    target = round(total * share)
    if counts[neutral] >= target:
        return counts
    others = {label: float(count) for label, count in counts.items() if label != neutral}
    rest = largest_remainder(total - target, others)
    return {label: target if label == neutral else rest[label] for label in counts}


def _arc_reader(labels: tuple[str, ...], length: int) -> Reader:
    """The first `length` known emotion names of the reply, in order."""
    by_name = {label.lower(): label for label in labels}
    names = "|".join(re.escape(name) for name in sorted(by_name, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])({names})(?![\w-])", re.IGNORECASE)

    def read(raw: str, truncated: bool | None) -> Parsed[Any]:
        found = [by_name[match.group(1).lower()] for match in pattern.finditer(raw)]
        if len(found) < length:
            return reject("arc_too_short", f"{len(found)} of {length} emotions named")
        return Parsed(found[:length])

    return read


def propose_arcs(ctx: GenerationContext, plans: list[DialoguePlan]) -> None:
    """Ask the LLM for each dialogue's emotion sequence; keep the planned one where the
    reply names too few emotions of the taxonomy. Counts go to the stats as `arcs`."""
    template = load_template(ctx.cfg.conversation.arc_template)
    labels = tuple(ctx.taxonomy.labels)
    requests = [
        ctx.request(
            template,
            structured=False,
            setting_sentence=_setting_sentence(plan),
            turn_count=len(plan.turns),
            label_list=", ".join(labels),
        )
        for plan in plans
    ]
    readers = [_arc_reader(labels, len(plan.turns)) for plan in plans]
    from_llm = 0
    for plan, answer in zip(plans, ctx.ask(requests, readers, "arc"), strict=True):
        if answer.ok:
            speakers = [speaker for speaker, _ in plan.turns]
            plan.turns = list(zip(speakers, answer.value, strict=True))
            plan.arc_source = "llm"
            from_llm += 1
    ctx.stats.details["arcs"] = {
        "dialogues": len(plans),
        "from_llm": from_llm,
        "from_plan": len(plans) - from_llm,
    }


def _setting_sentence(plan: DialoguePlan) -> str:
    names = ", ".join(plan.speakers[:-1]) + " and " + plan.speakers[-1]
    return f"Setting: {plan.setting}. {names} are talking."


def _history(plan: DialoguePlan, context_turns: int) -> str:
    shown = plan.done[-context_turns:] if context_turns > 0 else []
    if not shown:
        return "The conversation is just starting."
    lines = "\n".join(f"{speaker}: {text}" for speaker, text, _, _ in shown)
    return f"The conversation so far:\n{lines}"


def _dialogue_provenance(
    ctx: GenerationContext, plan: DialoguePlan, language: str
) -> dict[str, Any]:
    return {
        **ctx.provenance(),
        "language": language,
        "dialogue": plan.number,
        "setting": plan.setting,
        "speakers": plan.speakers,
        "arc_source": plan.arc_source,
        "planned_turns": [{"speaker": s, "emotion": e} for s, e in plan.turns],
    }


def _rows_of(
    ctx: GenerationContext, plan: DialoguePlan, language: str, complete: bool
) -> list[Row]:
    base = _dialogue_provenance(ctx, plan, language)
    return [
        ctx.row(
            row_id=f"{plan.dialogue_id}-t{turn:02d}",
            text=text,
            labels=[emotion],
            language=language,
            provenance={**base, **record, "dialogue_complete": complete},
            dialogue_id=plan.dialogue_id,
            turn=turn,
            speaker=speaker,
        )
        for turn, (speaker, text, emotion, record) in enumerate(plan.done)
    ]


def _rejected_row(
    ctx: GenerationContext,
    plan: DialoguePlan,
    language: str,
    answer: ParsedAnswer,
    stage: str,
    turn: int = NO_TURN,
) -> Row:
    record = ctx.answer_provenance(answer, stage)
    ctx.stats.rejections[record["reason"]] += 1
    if turn == NO_TURN:
        speaker, labels = "", sorted({emotion for _, emotion in plan.turns})
    else:
        speaker, labels = plan.turns[turn][0], [plan.turns[turn][1]]
    suffix = "dialogue" if turn == NO_TURN else f"t{turn:02d}"
    return ctx.row(
        row_id=f"{plan.dialogue_id}-{suffix}",
        text=answer.raw or "",
        labels=labels,
        language=language,
        provenance={**_dialogue_provenance(ctx, plan, language), **record},
        dialogue_id=plan.dialogue_id,
        turn=turn,
        speaker=speaker,
    )


def _turn_by_turn(
    ctx: GenerationContext, plans: list[DialoguePlan], template: PromptTemplate, language: str
) -> tuple[list[Row], list[Row]]:
    cfg = ctx.cfg.conversation
    values = ctx.common_values
    lang = ctx.get_language(language)
    broken: set[int] = set()
    rejected: list[Row] = []
    for turn in range(max((len(plan.turns) for plan in plans), default=0)):
        active = [p for p in plans if turn < len(p.turns) and p.number not in broken]
        requests = []
        readers = []
        for plan in active:
            speaker, emotion = plan.turns[turn]
            requests.append(
                ctx.request(
                    template,
                    structured=False,
                    kind="turn",
                    setting_sentence=_setting_sentence(plan),
                    history=_history(plan, cfg.context_turns),
                    speaker=speaker,
                    **values([emotion], lang),
                )
            )
            readers.append(ctx.plain_reader(extra_prefixes=plan.speakers, dialogue_line=True))
        for plan, answer in zip(active, ctx.ask(requests, readers, "turn"), strict=True):
            speaker, emotion = plan.turns[turn]
            if answer.ok:
                record = ctx.answer_provenance(answer, "turn")
                plan.done.append((speaker, answer.value, emotion, record))
            else:
                rejected.append(_rejected_row(ctx, plan, language, answer, "turn", turn))
                broken.add(plan.number)
                remaining = len(plan.turns) - turn - 1
                if answer.reason == LLM_ERROR:
                    # never answered: a rerun asks again, so these turns are still owed
                    ctx.stats.unrequested += remaining
                elif remaining:
                    # an answer that was read and rejected ends its dialogue for good (a rerun
                    # reads the same cached reply), so its later turns are counted as dropped
                    ctx.stats.failures["turn:dropped_after_rejected_turn"] += remaining
    accepted = [
        row for plan in plans for row in _rows_of(ctx, plan, language, plan.number not in broken)
    ]
    return accepted, rejected


def _dialogue_reader(
    ctx: GenerationContext, labels: tuple[str, ...], speakers: tuple[str, ...]
) -> Reader:
    """JSON turns (labels from the reply) or "Name: line" lines (labels from the plan)."""

    def read(raw: str, truncated: bool | None) -> Parsed[Any]:
        if ctx.structured:
            return read_json_dialogue(raw, labels=labels, truncated=truncated)
        trim = ctx.cfg.trim_incomplete and truncated is not False
        return read_dialogue_lines(raw, speakers=speakers, trim_incomplete=trim)

    return read


def _whole_dialogues(
    ctx: GenerationContext, plans: list[DialoguePlan], template: PromptTemplate, language: str
) -> tuple[list[Row], list[Row]]:
    lang = ctx.get_language(language)
    labels = ctx.taxonomy.labels
    requests = []
    readers: list[Reader] = []
    for plan in plans:
        turn_plan = "\n".join(
            f"{turn + 1}. {speaker} ({emotion})"
            for turn, (speaker, emotion) in enumerate(plan.turns)
        )
        requests.append(
            ctx.request(
                template,
                structured=ctx.structured,
                json_schema=_dialogue_schema(labels, plan),
                kind="dialogue_turn",
                units=len(plan.turns),
                setting_sentence=_setting_sentence(plan),
                turn_plan=turn_plan,
                turn_count=len(plan.turns),
                **ctx.common_values([], lang),
            )
        )
        readers.append(_dialogue_reader(ctx, labels, tuple(plan.speakers)))
    accepted: list[Row] = []
    rejected: list[Row] = []
    for plan, answer in zip(plans, ctx.ask(requests, readers, "dialogue"), strict=True):
        if not answer.ok:
            rejected.append(_rejected_row(ctx, plan, language, answer, "dialogue"))
            continue
        record = ctx.answer_provenance(answer, "dialogue")
        if ctx.structured:
            turns = [(t.speaker, t.text, t.labels[0]) for t in answer.value]
        else:
            # plain lines: the emotion of each line is the one asked for at that position
            turns = [
                (speaker, text, plan.turns[i][1])
                for i, (speaker, text) in enumerate(answer.value[: len(plan.turns)])
            ]
        record["parsed_turns"] = len(answer.value)
        plan.done = [(speaker, text, emotion, record) for speaker, text, emotion in turns]
        accepted.extend(_rows_of(ctx, plan, language, len(plan.done) == len(plan.turns)))
    return accepted, rejected


def _dialogue_schema(labels: tuple[str, ...], plan: DialoguePlan) -> dict[str, Any]:
    """Exactly the planned turns, by the planned speakers: an unbounded array let a guided
    decoder run on past the plan to the token limit."""
    return {
        "type": "array",
        "minItems": len(plan.turns),
        "maxItems": len(plan.turns),
        "items": {
            "type": "object",
            "properties": {
                "speaker": {"type": "string", "enum": list(dict.fromkeys(plan.speakers))},
                "text": {"type": "string", "minLength": 1, "maxLength": 200},
                "emotion": {"type": "string", "enum": list(labels)},
            },
            "required": ["emotion", "speaker", "text"],
        },
    }


def run_conversation(ctx: GenerationContext) -> tuple[list[Row], list[Row]]:
    _validate(ctx)
    cfg = ctx.cfg.conversation
    plans = plan_dialogues(ctx)
    if cfg.arc == "llm":
        propose_arcs(ctx, plans)
    language = ctx.get_language(ctx.language).code
    if not ctx.structured and cfg.plain_mode == "turns":
        return _turn_by_turn(ctx, plans, load_template(cfg.template), language)
    return _whole_dialogues(ctx, plans, load_template(cfg.dialogue_template), language)
