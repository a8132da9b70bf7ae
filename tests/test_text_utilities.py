"""One refusal check, one tokenizer and one JSON extractor serve generation, filters and
analysis, so "a refusal" or "a word" means the same thing at every step."""

from __future__ import annotations

import datasets
import pytest
from helpers.configs import compose_config

from emoexp.data.columns import column
from emoexp.filters.base import FilterContext
from emoexp.filters.config import RefusalFilterConfig
from emoexp.filters.refusal import RefusalFilter
from emoexp.generation.replies import read_plain
from emoexp.llm.fake import FakeBackend
from emoexp.paths import CONF_DIR
from emoexp.text.refusal import refusal_patterns

NATURAL = "I cannot believe he did that to me again."
REFUSALS = [
    "As an AI language model, I cannot feel emotions.",
    "I'm sorry, but I can't help with that request.",
    "I cannot create content that promotes violence.",
]


def test_natural_sentence_passes_generation_and_filter() -> None:
    assert read_plain(NATURAL).ok
    assert RefusalFilter(RefusalFilterConfig()).matches(NATURAL) == []


@pytest.mark.parametrize("reply", REFUSALS)
def test_refusals_rejected_by_generation_and_filter(reply: str) -> None:
    parsed = read_plain(reply)
    assert parsed.reason == "refusal"
    assert RefusalFilter(RefusalFilterConfig()).matches(reply)


def test_generation_uses_the_filter_pattern_file() -> None:
    assert refusal_patterns().matches(REFUSALS[0]) == RefusalFilter(RefusalFilterConfig()).matches(
        REFUSALS[0]
    )


def test_judge_prompts_are_versioned_template_files() -> None:
    from emoexp.analysis.judge import judge_requests
    from emoexp.filters.config import JudgeFilterConfig
    from emoexp.filters.judge import JudgeFilter, judge_request

    filter_judge = JudgeFilter(JudgeFilterConfig())
    request = judge_request("I lost my keys.", ["anger"], "en", filter_judge.template)
    assert request.template == "judge.v1"
    assert "Intended emotion(s): anger" in request.messages[-1][1]
    (analysis_request,) = judge_requests(["I lost my keys."])
    assert analysis_request.template == "human_likeness.v1"
    assert analysis_request.messages[-1][1].endswith("Text: I lost my keys.")


def test_a_missing_judge_template_fails_naming_the_known_ones() -> None:
    from emoexp.filters.config import JudgeFilterConfig
    from emoexp.filters.judge import JudgeFilter

    with pytest.raises(FileNotFoundError, match=r"judge\.v9.*known: \['judge\.v1'\]"):
        JudgeFilter(JudgeFilterConfig(template="judge.v9"))


@pytest.mark.parametrize(
    "overrides",
    [[f"filter={path.stem}"] for path in sorted((CONF_DIR / "filter").glob("*.yaml"))]
    + [[f"experiment={path.stem}"] for path in sorted((CONF_DIR / "experiment").glob("*.yaml"))],
)
def test_every_configured_judge_template_exists(overrides: list[str]) -> None:
    from emoexp.filters.judge import TEMPLATE_DIR

    template = compose_config(overrides).filter.judge.template
    assert (TEMPLATE_DIR / f"{template}.yaml").is_file(), template


def test_generation_and_filter_agree_on_every_row(tiny_rows: datasets.Dataset) -> None:
    texts = column(tiny_rows, "text") + REFUSALS
    rows = datasets.concatenate_datasets(
        [tiny_rows, tiny_rows.select([0] * len(REFUSALS)).map(
            lambda _, i: {"text": REFUSALS[i], "id": f"refusal{i}"}, with_indices=True
        )]
    )  # fmt: skip
    verdicts = RefusalFilter(RefusalFilterConfig()).evaluate(rows, FilterContext(taxonomy=None))
    assert [v.keep for v in verdicts] == [read_plain(text).ok for text in texts]
    assert [v.keep for v in verdicts] == [True] * len(tiny_rows) + [False] * len(REFUSALS)


def test_the_filter_judge_sends_one_templated_request_per_row(
    fake_llm: FakeBackend, tiny_rows: datasets.Dataset
) -> None:
    from emoexp.filters.config import JudgeFilterConfig
    from emoexp.filters.judge import JudgeFilter

    judge = JudgeFilter(JudgeFilterConfig())
    measurements = judge.score(tiny_rows, FilterContext(taxonomy=None, backend=fake_llm))
    assert len(measurements) == fake_llm.calls == len(tiny_rows)
    assert {request.template for request in fake_llm.seen} == {"judge.v1"}
