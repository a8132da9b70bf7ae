"""`analyze` end to end: real GoEmotions comments against formulaic synthetic text."""

from __future__ import annotations

import math
from pathlib import Path

import datasets
import pytest

from emoexp.analysis import AnalysisConfig, analyze
from emoexp.analysis.judge import parse_score
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.llm.fake import FakeBackend
from emoexp.llm.types import ChatRequest


def _goemotions_rows(data_dir: Path, limit: int) -> datasets.Dataset:
    folder = data_dir / "goemotions"
    names = (folder / "emotions.txt").read_text().split()
    rows = []
    with (folder / "test.tsv").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number == limit:
                break
            text, label_ids, comment_id = line.rstrip("\n").split("\t")
            labels = [names[int(i)] for i in label_ids.split(",")]
            rows.append(
                Row(id=comment_id, text=text, labels=labels, multi_hot=[], taxonomy="goemotions")
            )
    return rows_to_dataset(rows)


def _formulaic(n: int) -> datasets.Dataset:
    objects = ["dog", "cat", "friend", "mom", "job"]
    return rows_to_dataset(
        [
            Row(
                id=f"s{i}",
                text=f"I feel so happy today because of my {objects[i % len(objects)]}",
                labels=["joy"],
                multi_hot=[],
                taxonomy="goemotions",
                source="synthetic",
            )
            for i in range(n)
        ]
    )


def judge_reply(request: ChatRequest, seed: int) -> str:
    """Answers like a judge would, unusable replies included: a template-like synthetic text
    scores 2, a real one 8; one synthetic text fails and one gets no number."""
    text = request.messages[-1][1]
    if "because of my dog" in text:
        raise ValueError("HTTP 503")
    if "because of my cat" in text:
        return "I cannot tell."
    if "I feel so happy today" in text:
        return "Score: 2/10, reads like a template."
    return "8"


@pytest.fixture(scope="module")
def result(data_dir: Path) -> dict:
    real = _goemotions_rows(data_dir, 600)
    cfg = AnalysisConfig(
        max_rows=500, self_bleu_samples=100, judge_samples=10, embedder="tfidf_svd"
    )
    judge = FakeBackend(reply=judge_reply)
    out = analyze(real, _formulaic(300), cfg, backend=judge)
    out["_judge_calls"] = judge.calls
    return out


def test_sides_and_sampling(result: dict) -> None:
    assert result["rows"] == {
        "real": 600,
        "synthetic": 300,
        "real_analysed": 500,
        "synthetic_analysed": 300,
    }
    assert result["label_distribution"]["synthetic"] == {"joy": 1.0}
    assert sum(result["label_distribution"]["real"].values()) >= 1.0  # multi-label rows


def test_formulaic_text_is_poorer_and_more_repetitive(result: dict) -> None:
    delta = result["linguistic"]["delta"]
    assert delta["type_token_ratio"] < 0
    assert delta["temporal_per_100_tokens"] > 0  # "today" in every synthetic row
    diversity = result["diversity"]
    assert diversity["synthetic"]["self_bleu"] > 0.9 > diversity["real"]["self_bleu"]
    assert diversity["delta"]["distinct_2"] < -0.5
    assert set(result["linguistic"]["synthetic"]["per_class"]) == {"joy"}


def test_formulaic_text_is_easy_to_tell_apart(result: dict) -> None:
    realism = result["realism"]
    assert realism["two_sample_auc"] > 0.95
    assert realism["mauve"] < 0.3
    assert realism["frechet_distance"] > 0.5


def test_judge_counts_failures_and_unparsable_replies(result: dict) -> None:
    synthetic, real = result["judge"]["synthetic"], result["judge"]["real"]
    assert synthetic["texts"] == real["texts"] == 10
    assert synthetic["failed"] >= 1 and synthetic["unparsable"] >= 1
    assert synthetic["failed"] + synthetic["unparsable"] + synthetic["scored"] == 10
    assert synthetic["mean_score"] == 2
    assert (real["scored"], real["mean_score"]) == (10, 8)
    # each distinct prompt is asked once: ten distinct real texts, at most five synthetic ones
    assert 10 < result["_judge_calls"] <= 15


def test_judge_needs_a_backend() -> None:
    with pytest.raises(ValueError, match="LLM backend"):
        analyze(_formulaic(10), _formulaic(10), AnalysisConfig(judge_samples=2))


def test_too_few_rows_skip_the_embedding_families() -> None:
    out = analyze(_formulaic(10), _formulaic(2), AnalysisConfig(embedder="tfidf_svd"))
    assert "at least 4 rows" in out["diversity"]["skipped"]
    assert "at least 4 rows" in out["realism"]["skipped"]
    assert not math.isnan(out["linguistic"]["synthetic"]["overall"]["type_token_ratio"])


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("7", 7),
        ("I'd say 10.", 10),
        ("Score: 3/10", 3),
        ("8.5 out of 10", 8),
        ("none", None),
        ("0", None),
    ],
)
def test_parse_score(reply: str, score: int | None) -> None:
    assert parse_score(reply) == score
