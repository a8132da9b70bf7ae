"""An LLM's opinion of how human a text reads, as one more realism signal.

Optional and coarse: a judge model has its own biases, so the same judge rates real texts
beside the synthetic ones and the report shows both means, never the synthetic one alone;
the real texts' mean is the judge's calibration. The judge can be another backend and model
than the generator (`eval.analysis.judge_llm`): a model rating its own text is no judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from emoexp.generation.prompts import load_template
from emoexp.llm.config import LLMConfig
from emoexp.llm.types import ChatRequest, LLMBackend

JUDGE_TEMPLATE = "human_likeness.v1"
TEMPLATE_DIR = Path(__file__).with_name("templates")
_SCORE = re.compile(r"(?<![\d.])(10|[1-9])(?:\.\d+)?(?![\d])")


def parse_score(reply: str) -> int | None:
    """The first integer 1-10 in the reply, or None when there is none."""
    match = _SCORE.search(reply)
    return int(match.group(1)) if match else None


def judge_requests(texts: Sequence[str]) -> list[ChatRequest]:
    template = load_template(JUDGE_TEMPLATE, TEMPLATE_DIR)
    return [
        ChatRequest(
            messages=template.render(structured=False, text=text),
            template=template.id,
            kind="judge",
        )
        for text in texts
    ]


def judge_human_likeness(backend: LLMBackend, texts: Sequence[str]) -> dict[str, Any]:
    """Mean 1-10 score over the texts the judge answered with a number; replies without one
    and failed requests are counted, not guessed."""
    results = backend.generate(judge_requests(texts))
    scores: list[int] = []
    unparsable = failed = 0
    for result in results:
        if not result.ok:
            failed += 1
            continue
        score = parse_score(result.text or "")
        if score is None:
            unparsable += 1
        else:
            scores.append(score)
    return {
        "judge": f"{backend.name}:{backend.model}",
        "texts": len(texts),
        "scored": len(scores),
        "unparsable": unparsable,
        "failed": failed,
        "mean_score": float(np.mean(scores)) if scores else float("nan"),
        "histogram": {str(k): scores.count(k) for k in range(1, 11)},
    }


def judge_backend_config(generator: LLMConfig, overrides: dict[str, Any]) -> tuple[LLMConfig, bool]:
    """The judge's LLM settings: the generator's with `overrides` on top (e.g. another
    backend, model and base_url), and whether the judge is still the generator's model."""
    unknown = sorted(set(overrides) - set(LLMConfig.__dataclass_fields__))
    if unknown:
        raise ValueError(f"eval.analysis.judge_llm has unknown llm keys: {unknown}")
    # merged through the schema, so a value of the wrong type fails with its key named
    merged = OmegaConf.merge(OmegaConf.structured(generator), overrides)
    judge: LLMConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    same = (judge.backend, judge.model) == (generator.backend, generator.model)
    return judge, same
