"""An LLM judge: a 1-5 rating of how natural and on-label a synthetic text is.

Requests go through the project's LLM backend, so they share its durable response cache:
a threshold sweep over `min_score` or a rerun never pays for a judgement twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.columns import column
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import JudgeFilterConfig
from emoexp.generation.prompts import PromptTemplate, load_template
from emoexp.llm.types import ChatRequest

TEMPLATE_DIR = Path(__file__).with_name("templates")
SCORE = re.compile(r"(?<![\d.])([1-5](?:\.\d+)?)(?!\d|\.\d)")
RAW_KEPT_CHARS = 200


def parse_score(reply: str | None) -> float | None:
    """The first standalone number from 1 to 5 in the reply ("4", "Score: 4", "4/5",
    "3.5"); None when there is none ("10", "N/A")."""
    if not reply:
        return None
    found = SCORE.search(reply)
    return min(float(found.group(1)), 5.0) if found else None


def judge_request(
    text: str, labels: Sequence[str], language: str, template: PromptTemplate
) -> ChatRequest:
    messages = template.render(
        structured=False, labels=", ".join(labels), language=language or "en", text=text
    )
    return ChatRequest(messages=messages, template=template.id, kind="judge")


class JudgeFilter(TwoStepFilter):
    name = "judge"

    def __init__(self, cfg: JudgeFilterConfig) -> None:
        self.cfg = cfg
        self.template = load_template(cfg.template, TEMPLATE_DIR)

    def scoring_config(self) -> dict[str, Any]:
        return {"template": self.template.id, "prompt": [self.template.system, self.template.user]}

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        if context.backend is None:
            raise ValueError("filter.judge.enabled needs an LLM backend in the filter context")
        requests = [
            judge_request(text, labels, language, self.template)
            for text, labels, language in zip(
                column(ds, "text"), column(ds, "labels"), column(ds, "language"), strict=True
            )
        ]
        results = context.backend.generate(requests) if requests else []
        if len(results) != len(requests):
            raise RuntimeError(
                f"the judge backend answered {len(results)} of {len(requests)} requests"
            )
        measurements = []
        for result in results:
            detail: dict[str, Any] = {"reply": (result.text or "")[:RAW_KEPT_CHARS]}
            if result.error:
                detail["error"] = result.error
            value = parse_score(result.text) if result.ok else None
            measurements.append(
                Measurement(score=None if value is None else float(value), detail=detail)
            )
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            if measurement.score is None:
                verdicts.append(Verdict(self.cfg.keep_unparsed, None, "judge_unparsed"))
            elif measurement.score < self.cfg.min_score:
                verdicts.append(Verdict(False, measurement.score, "judge_low_score"))
            else:
                verdicts.append(Verdict(True, measurement.score, PASS))
        return verdicts
