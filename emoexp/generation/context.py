"""What every strategy shares: the config, the backend, deterministic request construction,
reply readers for the chosen mode, and the rows accepted and rejected samples become."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import datasets

from emoexp.data.schema import NO_TURN, Row
from emoexp.generation.asking import GenStats, ParsedAnswer, Reader, ask
from emoexp.generation.config import GenConfig
from emoexp.generation.languages import Language, get_language
from emoexp.generation.prompts import (
    Messages,
    PromptTemplate,
    emotion_phrase,
    language_instruction,
)
from emoexp.generation.replies import read_json_sample, read_plain
from emoexp.llm.types import ChatRequest, LLMBackend

# sample indexes of gen.seed s start at s * SEED_STRIDE: replicate seeds never share a
# cached reply, while one seed's N samples of one prompt stay N distinct cache keys
SEED_STRIDE = 100_000
# longest text a JSON post may carry: one to three sentences, about 50 English tokens, so the
# longest reply the schema allows (with its keys, three labels and a language) closes within
# the default 100-token JSON post budget in English (a language's budget_factor gives other
# languages more); at 320 characters a guided decoder writing to the bound was cut off
# before the JSON closed
POST_MAX_CHARS = 200
# most emotions a JSON post may state (more when more were asked for)
MAX_STATED_EMOTIONS = 3


class TaxonomyLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def labels(self) -> tuple[str, ...]: ...

    def multi_hot(self, names: Iterable[str]) -> list[float]: ...


@dataclass
class SampleDraft:
    """One planned sample: what was asked for and what the strategy used to ask for it."""

    number: int
    labels: tuple[str, ...]
    language: str
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenerationContext:
    cfg: GenConfig
    backend: LLMBackend
    taxonomy: TaxonomyLike
    seed: datasets.Dataset
    keywords: Mapping[str, Sequence[tuple[str, float]]] | None
    structured: bool
    language: str = "en"
    stats: GenStats = field(default_factory=GenStats)
    rng: random.Random = field(init=False)
    _prompt_uses: Counter[tuple[str, Messages]] = field(init=False, default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.cfg.seed)

    # ------------------------------------------------------------------ requests

    def request(
        self,
        template: PromptTemplate,
        *,
        structured: bool,
        json_schema: dict[str, Any] | None = None,
        kind: str = "post",
        units: int = 1,
        language: Language | None = None,
        **values: Any,
    ) -> ChatRequest:
        """A request whose sample index counts earlier uses of the same prompt, so growing
        `samples_per_label` reuses every cached reply of the smaller run. `kind`, `units`
        (a dialogue's turns) and the language written in (the run's, unless given) set its
        reply budget (emoexp/llm/budgets.py)."""
        messages = template.render(structured=structured, **values)
        key = (template.id, messages)
        index = self.cfg.seed * SEED_STRIDE + self._prompt_uses[key]
        self._prompt_uses[key] += 1
        return ChatRequest(
            messages=messages,
            sample_index=index,
            template=template.id,
            json_schema=json_schema if structured else None,
            metadata={"structured": structured},
            kind=kind,
            budget_units=units,
            text_factor=(language or self.get_language(self.language)).budget_factor,
        )

    def common_values(self, labels: Sequence[str], language: Language) -> dict[str, Any]:
        """Placeholders most templates share."""
        return {
            "emotions": emotion_phrase(tuple(labels)),
            # the asked-for emotions as JSON strings: the example value of a JSON reply's
            # "emotions" field ("joy", "love")
            "emotions_json": ", ".join(json.dumps(label) for label in labels),
            "label_list": ", ".join(self.taxonomy.labels),
            "language_instruction": language_instruction(language.name),
            "language_name": language.name,
            "language_native": language.native,
            "language_code": language.code,
            "language_context": language.context,
        }

    def sample_schema(self, *, language: str | None = None) -> dict[str, Any]:
        """JSON schema of a one-text reply, for backends that constrain decoding. With a
        `language`, the reply states it: under a constrained decoder the stated language is
        the grammar's choice, not evidence (SmolLM2 wrote "swreek"), so the schema fixes it to
        the code asked for and the language filter judges the text itself."""
        properties: dict[str, Any] = {
            # bounded, so a constrained decoder closes the JSON within the reply budget
            "text": {"type": "string", "minLength": 1, "maxLength": POST_MAX_CHARS},
            "emotions": {
                "type": "array",
                "items": {"type": "string", "enum": list(self.taxonomy.labels)},
                "minItems": 1,
                # bounded: a guided decoder let SmolLM2 repeat one label to the token limit
                "maxItems": max(MAX_STATED_EMOTIONS, self.cfg.max_labels_per_sample),
            },
        }
        if language:
            properties["language"] = {"type": "string", "enum": [language]}
        return {"type": "object", "properties": properties, "required": sorted(properties)}

    def get_language(self, code: str) -> Language:
        return get_language(code, self.cfg.multilingual.languages_file or None)

    # ------------------------------------------------------------------ replies

    def plain_reader(
        self, extra_prefixes: Sequence[str] = (), *, dialogue_line: bool = False
    ) -> Reader:
        def read(raw: str, truncated: bool | None) -> Any:
            # a reply the backend says ended on its own is not trimmed
            return read_plain(
                raw,
                extra_prefixes=extra_prefixes,
                trim_incomplete=self.cfg.trim_incomplete and truncated is not False,
                min_chars=self.cfg.min_chars,
                dialogue_line=dialogue_line,
            )

        return read

    def sample_reader(self, language: str) -> Reader:
        """Plain text (labels come from the request) or a validated JSON sample."""
        if not self.structured:
            return self.plain_reader()
        labels = self.taxonomy.labels

        def read(raw: str, truncated: bool | None) -> Any:
            return read_json_sample(raw, labels=labels, language=language, truncated=truncated)

        return read

    def ask(
        self, requests: Sequence[ChatRequest], read: Reader | Sequence[Reader], stage: str
    ) -> list[ParsedAnswer]:
        return ask(
            self.backend,
            requests,
            read,
            max_reasks=self.cfg.max_reasks,
            stats=self.stats,
            stage=stage,
        )

    # ------------------------------------------------------------------ rows

    def provenance(self) -> dict[str, Any]:
        """The keys every synthetic row carries."""
        return {
            "strategy": self.cfg.strategy,
            "model": self.backend.model,
            "backend": self.backend.name,
            "seed": self.cfg.seed,
            "structured": self.structured,
        }

    def sample_id(self, number: int) -> str:
        return f"{self.cfg.strategy}-s{self.cfg.seed}-{number:06d}"

    def row(
        self,
        *,
        row_id: str,
        text: str,
        labels: Sequence[str],
        language: str,
        provenance: dict[str, Any],
        dialogue_id: str = "",
        turn: int = NO_TURN,
        speaker: str = "",
    ) -> Row:
        return Row(
            id=row_id,
            text=text,
            labels=list(labels),
            multi_hot=list(self.taxonomy.multi_hot(labels)),
            taxonomy=self.taxonomy.name,
            language=language,
            source=f"synthetic:{self.cfg.strategy}",
            split="train",
            dialogue_id=dialogue_id,
            turn=turn,
            speaker=speaker,
            provenance=provenance,
        )

    def answer_provenance(self, answer: ParsedAnswer, stage: str) -> dict[str, Any]:
        """What a row records about the request and reply that made it."""
        record: dict[str, Any] = {
            "template": answer.request.template,
            "sample_index": answer.request.sample_index,
            "raw_reply": answer.raw,
            "attempts": answer.attempts,
            "cached": answer.cached,
            "finish_reason": answer.finish_reason,
        }
        if not answer.ok:
            record.update(reason=f"{stage}:{answer.reason}", reason_detail=answer.detail)
        return record

    def rejected_sample(self, draft: SampleDraft, reason: str, detail: str, **extra: Any) -> Row:
        """A sample that never reached a usable text, with why."""
        self.stats.rejections[reason] += 1
        provenance = {
            **self.sample_provenance(draft),
            **extra,
            "reason": reason,
            "reason_detail": detail,
        }
        return self.row(
            row_id=self.sample_id(draft.number),
            text=extra.get("raw_reply") or "",
            labels=draft.labels,
            language=draft.language,
            provenance=provenance,
        )

    def sample_provenance(self, draft: SampleDraft) -> dict[str, Any]:
        return {
            **self.provenance(),
            "sample": draft.number,
            "language": draft.language,
            "requested_labels": list(draft.labels),
            **draft.provenance,
        }

    def finish_samples(
        self, drafts: Sequence[SampleDraft], requests: Sequence[ChatRequest], stage: str = "text"
    ) -> tuple[list[Row], list[Row]]:
        """Ask the final (text) stage for every draft and turn the answers into rows."""
        readers = [self.sample_reader(draft.language) for draft in drafts]
        answers = self.ask(requests, readers, stage)
        accepted: list[Row] = []
        rejected: list[Row] = []
        for draft, answer in zip(drafts, answers, strict=True):
            record = self.answer_provenance(answer, stage)
            if not answer.ok:
                reason = record.pop("reason")
                detail = record.pop("reason_detail")
                rejected.append(self.rejected_sample(draft, reason, detail, **record))
                continue
            value = answer.value
            text, labels = (
                (value, draft.labels)
                if isinstance(value, str)
                else (
                    value.text,
                    value.labels,
                )
            )
            provenance = {**self.sample_provenance(draft), **record}
            accepted.append(
                self.row(
                    row_id=self.sample_id(draft.number),
                    text=text,
                    labels=labels,
                    language=draft.language,
                    provenance=provenance,
                )
            )
        return accepted, rejected
