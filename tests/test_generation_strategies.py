"""The generate stage end to end with the in-process fake backend: row counts, labels,
provenance, persona stages, dialogues, languages, re-asks, failures and determinism."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import datasets
import pytest

from emoexp.data.schema import FEATURES, NO_TURN, Row, provenance_of, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy, load_taxonomy
from emoexp.explain.keywords import Keywords, save_keywords
from emoexp.generation import GenConfig, GenerationOutput, generate
from emoexp.generation.completeness import completeness
from emoexp.generation.config import ConversationConfig, MultilingualConfig, PersonaConfig
from emoexp.llm.budgets import effective_max_tokens
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.llm.fake import FakeBackend
from emoexp.llm.types import ChatRequest, ChatResult

TAXONOMY = load_taxonomy("emo11")


class Recording:
    """Wraps a backend and records every batch it is handed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.batches: list[list[ChatRequest]] = []

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        self.batches.append(list(requests))
        return self.inner.generate(requests)

    @property
    def requests(self) -> list[ChatRequest]:
        return [request for batch in self.batches for request in batch]


def last_user(request: ChatRequest) -> str:
    return [content for role, content in request.messages if role == "user"][-1]


def chatty_reply(request: ChatRequest, seed: int) -> str:
    """A plain reply wrapped the way small chat models wrap theirs."""
    return f'Sure! Here is a post:\n"[{request.template}] take {request.sample_index}, {seed}."'


def fake(reply: Callable[[ChatRequest, int], str] = chatty_reply) -> Recording:
    return Recording(FakeBackend(reply=reply))


def seed_set() -> datasets.Dataset:
    rows = []
    for index, label in enumerate(TAXONOMY.labels):
        for copy in range(3 if label != "joy" else 12):
            labels = [label, "love"] if label == "joy" and copy % 2 else [label]
            rows.append(
                Row(
                    id=f"seed-{label}-{copy}",
                    text=f"A real {label} text number {copy}, index {index}.",
                    labels=labels,
                    multi_hot=TAXONOMY.multi_hot(labels),
                    taxonomy=TAXONOMY.name,
                    source="goemotions",
                )
            )
    return rows_to_dataset(rows)


def run(
    cfg: GenConfig,
    backend: Any,
    out_dir: Path,
    *,
    structured: bool = False,
    keywords: Any = None,
    seed: datasets.Dataset | None = None,
    taxonomy: Taxonomy = TAXONOMY,
) -> GenerationOutput:
    return generate(
        cfg,
        backend,
        taxonomy,
        seed if seed is not None else seed_set(),
        keywords,
        out_dir,
        structured=structured,
    )


def provenances(ds: datasets.Dataset) -> list[dict[str, Any]]:
    return [provenance_of(record) for record in ds]


# ------------------------------------------------------------------ naive, outputs


def test_naive_rows_labels_provenance_and_files(tmp_path: Path) -> None:
    backend = fake()
    out = run(GenConfig(strategy="naive", samples_per_label=2, seed=3), backend, tmp_path)
    assert out.accepted.features == FEATURES
    assert len(out.accepted) == 2 * len(TAXONOMY.labels)
    assert len(out.rejected) == 0
    assert Counter(label for row in out.accepted["labels"] for label in row) == {
        label: 2 for label in TAXONOMY.labels
    }
    for record, provenance in zip(out.accepted, provenances(out.accepted), strict=True):
        assert record["source"] == "synthetic:naive"
        assert record["split"] == "train" and record["taxonomy"] == "emo11"
        assert record["multi_hot"] == TAXONOMY.multi_hot(record["labels"])
        # the chat wrapping is gone, the labels are the ones asked for
        assert record["text"].startswith("[naive.v2] take")
        assert provenance["requested_labels"] == record["labels"]
        assert provenance["template"] == "naive.v2"
        assert provenance["model"] == "fake-echo" and provenance["backend"] == backend.name
        assert provenance["seed"] == 3 and provenance["language"] == "en"
        assert provenance["raw_reply"].startswith("Sure! Here is a post")
    # each label's prompt is asked twice, as two sample indexes of seed 3
    indexes = sorted(request.sample_index for request in backend.requests)
    assert indexes == sorted([300_000, 300_001] * len(TAXONOMY.labels))
    assert all(request.template == "naive.v2" for request in backend.requests)
    assert len(backend.batches) == 1
    reloaded = datasets.load_from_disk(str(tmp_path / "synthetic"))
    assert reloaded["id"] == out.accepted["id"]
    lines = (tmp_path / "synthetic.jsonl").read_text().splitlines()
    assert len(lines) == len(out.accepted)
    assert json.loads(lines[0])["provenance"]["template"] == "naive.v2"
    assert (tmp_path / "rejected.jsonl").read_text() == ""
    stats = json.loads((tmp_path / "generation_stats.json").read_text())
    assert (
        stats["accepted"] == 22 and stats["requests"] == 22 and stats["templates"] == ["naive.v2"]
    )
    assert "strategy-naive" in (tmp_path / "README.md").read_text()


def test_strategy_none_returns_empty_datasets(tmp_path: Path) -> None:
    out = generate(GenConfig(), None, TAXONOMY, seed_set(), None, tmp_path, structured=False)
    assert len(out.accepted) == 0 and len(out.rejected) == 0
    assert out.accepted.features == FEATURES
    assert datasets.load_from_disk(str(tmp_path / "synthetic")).num_rows == 0


def test_unknown_strategy_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"gen\.strategy='nave'.*naive"):
        run(GenConfig(strategy="nave", samples_per_label=1), fake(), tmp_path)


def test_target_distribution_and_multi_label(tmp_path: Path) -> None:
    cfg = GenConfig(
        strategy="naive",
        target_distribution={"fear": 30, "neutral": 5},
        max_labels_per_sample=3,
    )
    out = run(cfg, fake(), tmp_path)
    primaries = Counter(
        provenance["requested_labels"][0] for provenance in provenances(out.accepted)
    )
    assert primaries == {"fear": 30, "neutral": 5}
    sizes = Counter(len(labels) for labels in out.accepted["labels"])
    assert sizes[1] > 0 and sizes[2] + sizes[3] > 0 and max(sizes) <= 3
    for labels in out.accepted["labels"]:
        assert len(set(labels)) == len(labels)
        assert "neutral" not in labels or labels == ["neutral"]


def test_requests_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    def requests_for(seed: int, folder: str) -> list[tuple[Any, ...]]:
        backend = fake()
        cfg = GenConfig(strategy="persona", samples_per_label=1, seed=seed, max_labels_per_sample=2)
        out = run(cfg, backend, tmp_path / folder)
        assert len(out.accepted) == len(TAXONOMY.labels)
        return [(r.messages, r.sample_index, r.template) for r in backend.requests]

    first, again, other = requests_for(7, "a"), requests_for(7, "b"), requests_for(8, "c")
    assert first == again
    assert first != other
    first_rows = datasets.load_from_disk(str(tmp_path / "a" / "synthetic"))
    again_rows = datasets.load_from_disk(str(tmp_path / "b" / "synthetic"))
    assert first_rows.to_list() == again_rows.to_list()


def test_a_bigger_run_reuses_the_cached_replies_of_a_smaller_one(tmp_path: Path) -> None:
    cfg = LLMConfig(backend="fake", model="fake-echo", progress=False)
    small = build_backend(cfg, tmp_path / "cache.sqlite")
    run(GenConfig(strategy="naive", samples_per_label=2), small, tmp_path / "small")
    big = build_backend(cfg, tmp_path / "cache.sqlite")
    out = run(GenConfig(strategy="naive", samples_per_label=3), big, tmp_path / "big")
    assert out.stats["cached"] == 2 * len(TAXONOMY.labels)
    assert big.calls == len(TAXONOMY.labels)


# ------------------------------------------------------------------ replies: JSON, failures


def test_json_mode_takes_labels_from_the_reply(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        return 'Here it is: {"text": "So grateful for you all", "emotions": ["Gratitude", "joy"]}'

    backend = fake(reply)
    out = run(GenConfig(strategy="naive", samples_per_label=1), backend, tmp_path, structured=True)
    assert len(out.accepted) == len(TAXONOMY.labels)
    assert all(labels == ["gratitude", "joy"] for labels in out.accepted["labels"])
    assert out.stats["json_parsed"] == out.stats["json_valid"] == len(TAXONOMY.labels)
    assert all(request.json_schema is not None for request in backend.requests)
    assert '"emotions"' in last_user(backend.requests[0])


def test_json_schemas_bound_every_list_so_a_constrained_decoder_cannot_loop(
    tmp_path: Path,
) -> None:
    """vLLM's schema-guided SmolLM2 repeated "love" in an unbounded emotions array until the
    token limit: every array the schema allows is bounded."""
    backend = fake(lambda request, seed: '{"text": "So glad.", "emotions": ["joy"]}')
    run(GenConfig(strategy="naive", samples_per_label=1), backend, tmp_path, structured=True)
    emotions = backend.requests[0].json_schema["properties"]["emotions"]  # type: ignore[index]
    assert 1 <= emotions["maxItems"] <= 3

    dialogues = fake(lambda request, seed: "[]")
    cfg = GenConfig(strategy="conversation", samples_per_label=1, max_reasks=0)
    run(cfg, dialogues, tmp_path / "conversation", structured=True)
    assert dialogues.requests
    for request in dialogues.requests:
        schema = request.json_schema or {}
        # exactly the planned turns ("1. Ana (joy)" lines), by the planned speakers
        planned = re.findall(r"^\d+\. (\S+) \(", last_user(request), re.MULTILINE)
        assert schema["minItems"] == schema["maxItems"] == len(planned) >= 2
        assert set(schema["items"]["properties"]["speaker"]["enum"]) == set(planned)


@pytest.mark.parametrize("strategy", ["naive", "multilingual"])
def test_the_longest_json_post_the_schema_allows_fits_the_reply_budget(
    strategy: str, tmp_path: Path
) -> None:
    """vLLM's guided SmolLM2 wrote English up to the text's maxLength (then 320 characters,
    about 80 tokens) and the JSON around it overran the 100-token budget (5 of 11 shap
    replies cut off): the longest reply the schema allows, at 4 characters per text token
    and 2 per JSON key, quote or label token, fits the budget the request is sent with."""
    backend = fake(lambda request, seed: '{"text": "So glad.", "emotions": ["joy"]}')
    cfg = GenConfig(strategy=strategy, samples_per_label=1, max_reasks=0)
    run(cfg, backend, tmp_path, structured=True)
    request = backend.requests[0]
    properties = (request.json_schema or {})["properties"]
    longest_labels = sorted(TAXONOMY.labels, key=len)[-properties["emotions"]["maxItems"] :]
    skeleton: dict[str, Any] = {"text": "", "emotions": longest_labels}
    if "language" in properties:
        skeleton["language"] = max(properties["language"]["enum"], key=len)
    tokens = properties["text"]["maxLength"] / 4 + len(json.dumps(skeleton)) / 2
    assert tokens <= effective_max_tokens(LLMConfig(), request)


def test_posts_in_other_scripts_get_their_languages_budget_and_state_the_language_asked(
    tmp_path: Path,
) -> None:
    """German and Swahili take about 2.4 characters per SmolLM2 token against English's 4.3,
    Hindi under one: vLLM cut 13 of 33 multilingual first replies at the English budget.
    Each post gets its language's budget; under a schema the stated language is the one
    asked for (a guided SmolLM2 stated "swreek"), and the language filter judges the text."""
    backend = fake(lambda request, seed: '{"text": "So glad.", "emotions": ["joy"]}')
    languages = ["en", "de", "ru", "hi"]
    cfg = GenConfig(
        strategy="multilingual",
        samples_per_label=1,
        max_reasks=0,
        multilingual=MultilingualConfig(languages=languages),
    )
    run(cfg, backend, tmp_path, structured=True)
    budgets: dict[str, set[int]] = {}
    for request in backend.requests:
        stated = (request.json_schema or {})["properties"]["language"]
        (code,) = stated["enum"]
        budgets.setdefault(code, set()).add(effective_max_tokens(LLMConfig(), request))
    assert sorted(budgets) == sorted(languages)
    assert all(len(found) == 1 for found in budgets.values())
    en, de, ru, hi = (budgets[code].pop() for code in languages)
    # text 60 x factor, plus the 40 tokens of JSON around it
    assert (en, de, ru, hi) == (100, 160, 250, 310)


def test_malformed_json_is_reasked_then_accepted(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        if request.metadata.get("attempt", 0) < 1:
            return '{"text": "I am so scared", "emotions": ["terror"]}'
        return '{"text": "I am so scared", "emotions": ["fear"]}'

    backend = fake(reply)
    cfg = GenConfig(strategy="naive", target_distribution={"fear": 3}, max_reasks=2)
    out = run(cfg, backend, tmp_path, structured=True)
    assert len(out.accepted) == 3 and len(out.rejected) == 0
    assert out.stats["reasks"] == 3
    assert out.stats["failures"] == {"text:labels_outside_taxonomy": 3}
    follow_up = backend.batches[1][0]
    assert follow_up.messages[-2] == (
        "assistant",
        '{"text": "I am so scared", "emotions": ["terror"]}',
    )
    assert "labels_outside_taxonomy" in follow_up.messages[-1][1]
    assert all(provenance["attempts"] == 2 for provenance in provenances(out.accepted))


def test_malformed_json_is_rejected_after_max_reasks_with_reason(tmp_path: Path) -> None:
    backend = fake(lambda request, seed: "I refuse to write JSON today")
    cfg = GenConfig(strategy="naive", target_distribution={"anger": 2, "joy": 1}, max_reasks=2)
    out = run(cfg, backend, tmp_path, structured=True)
    assert len(out.accepted) == 0 and len(out.rejected) == 3
    assert len(backend.requests) == 3 * 3
    assert out.stats["reasks"] == 6
    assert out.stats["rejections"] == {"text:not_json": 3}
    for record, provenance in zip(out.rejected, provenances(out.rejected), strict=True):
        assert provenance["reason"] == "text:not_json"
        assert provenance["raw_reply"] == "I refuse to write JSON today"
        assert provenance["attempts"] == 3
        assert record["text"] == "I refuse to write JSON today"
        assert record["labels"] == provenance["requested_labels"]
    lines = (tmp_path / "rejected.jsonl").read_text().splitlines()
    assert [json.loads(line)["provenance"]["reason"] for line in lines] == ["text:not_json"] * 3


def test_failed_llm_calls_become_recorded_rejections(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        if "fear" in last_user(request):
            raise ValueError("simulated 503")
        return "I can't believe it happened."

    backend = fake(reply)
    out = run(GenConfig(strategy="naive", samples_per_label=2, max_reasks=2), backend, tmp_path)
    assert len(out.accepted) == 20 and len(out.rejected) == 2
    # a failed call is not asked again: the backend already retried it
    assert len(backend.requests) == 22
    assert out.stats["llm_errors"] == 2
    assert out.stats["rejections"] == {"text:llm_error": 2}
    for provenance in provenances(out.rejected):
        assert provenance["reason"] == "text:llm_error"
        assert "simulated 503" in provenance["reason_detail"]


def test_empty_plain_replies_are_reasked_then_rejected(tmp_path: Path) -> None:
    backend = fake(lambda request, seed: "Sure! Here is a post:")
    out = run(
        GenConfig(strategy="naive", target_distribution={"joy": 2}, max_reasks=1), backend, tmp_path
    )
    assert len(out.rejected) == 2 and out.stats["rejections"] == {"text:empty_reply": 2}
    assert len(backend.requests) == 4


# ------------------------------------------------------------------ persona


def test_persona_stages_in_provenance_and_batched(tmp_path: Path) -> None:
    backend = fake()
    out = run(GenConfig(strategy="persona", samples_per_label=2), backend, tmp_path)
    assert len(out.accepted) == 22
    # background, situation, text: one batch per stage
    assert [len(batch) for batch in backend.batches] == [22, 22, 22]
    assert [batch[0].template for batch in backend.batches] == [
        "persona_background.v1",
        "persona_situation.v1",
        "persona_text.v2",
    ]
    for provenance in provenances(out.accepted):
        assert provenance["persona_stages"] == ["base", "background", "situation"]
        assert set(provenance["persona"]) == {
            "age",
            "gender",
            "nationality",
            "occupation",
            "personality",
        }
        assert provenance["background"].startswith("[persona_background.v1]")
        assert provenance["situation"].startswith("[persona_situation.v1]")
        assert provenance["template"] == "persona_text.v2"
        assert provenance["templates"] == {
            "background": "persona_background.v1",
            "situation": "persona_situation.v1",
            "text": "persona_text.v2",
        }
    # the base persona carries a nationality, and every stage's prompt names it
    nationality = provenances(out.accepted)[0]["persona"]["nationality"]
    assert nationality in PersonaConfig().nationalities
    assert f"from {nationality}" in last_user(backend.batches[0][0])
    assert len({p["persona"]["nationality"] for p in provenances(out.accepted)}) > 5
    # later stages see the earlier stages' output
    text_prompt = last_user(backend.batches[2][0])
    assert "[persona_background.v1]" in text_prompt and "[persona_situation.v1]" in text_prompt
    assert out.stats["stage_requests"] == {"background": 22, "situation": 22, "text": 22}


def test_persona_ablation_switches_stages_off(tmp_path: Path) -> None:
    backend = fake()
    cfg = GenConfig(strategy="persona", samples_per_label=2, persona=PersonaConfig(stages=["base"]))
    out = run(cfg, backend, tmp_path)
    assert len(out.accepted) == 22
    assert len(backend.requests) == 22
    for provenance in provenances(out.accepted):
        assert provenance["persona_stages"] == ["base"]
        assert "background" not in provenance and "situation" not in provenance
        assert provenance["templates"] == {"text": "persona_text.v2"}
    bare = fake()
    cfg = GenConfig(strategy="persona", samples_per_label=1, persona=PersonaConfig(stages=[]))
    out = run(cfg, bare, tmp_path / "bare")
    assert all(provenance["persona"] is None for provenance in provenances(out.accepted))
    assert "a person" in last_user(bare.requests[0])
    with pytest.raises(ValueError, match="unknown \\['backstory'\\]"):
        run(
            GenConfig(
                strategy="persona", samples_per_label=1, persona=PersonaConfig(stages=["backstory"])
            ),
            fake(),
            tmp_path / "x",
        )


def test_persona_stage_failure_rejects_the_sample_early(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        if request.template == "persona_background.v1" and "-year-old woman" in last_user(request):
            return '""'
        return chatty_reply(request, seed)

    backend = fake(reply)
    cfg = GenConfig(strategy="persona", samples_per_label=2, max_reasks=0)
    out = run(cfg, backend, tmp_path)
    failed = [p for p in provenances(out.rejected) if p.get("failed_stage") == "background"]
    assert len(failed) == len(out.rejected) > 0
    assert all(p["reason"] == "background:empty_reply" for p in failed)
    assert len(backend.batches[1]) == 22 - len(failed)
    assert len(out.accepted) + len(out.rejected) == 22


# ------------------------------------------------------------------ shap


def shap_keywords() -> dict[str, list[tuple[str, float]]]:
    return {
        label: [(f"{label}word{i}", 1.0 - i / 10) for i in range(10)] for label in TAXONOMY.labels
    }


def test_shap_prompts_carry_keywords_and_exemplars(tmp_path: Path) -> None:
    backend = fake()
    seed = seed_set()
    texts = dict(zip(seed["id"], seed["text"], strict=True))
    labels_of = dict(zip(seed["id"], seed["labels"], strict=True))
    out = run(
        GenConfig(strategy="shap", samples_per_label=2),
        backend,
        tmp_path,
        keywords=shap_keywords(),
        seed=seed,
    )
    assert len(out.accepted) == 22
    for request, provenance in zip(backend.requests, provenances(out.accepted), strict=True):
        prompt = last_user(request)
        label = provenance["requested_labels"][0]
        assert provenance["keywords"][label] == [f"{label}word{i}" for i in range(8)]
        assert f"{label}word7" in prompt and f"{label}word8" not in prompt
        assert len(provenance["exemplar_ids"]) == 3
        for exemplar in provenance["exemplar_ids"]:
            assert label in labels_of[exemplar] and texts[exemplar] in prompt
        assert provenance["template"] == "shap.v2"


def test_shap_reads_the_explain_stage_keywords_file(tmp_path: Path) -> None:
    saved = Keywords(
        taxonomy="emo11",
        method="linear",
        per_class={"joy": [("yay", 0.9), ("happy", 0.5)]},
        n_examples={"joy": 12},
    )
    path = save_keywords(saved, tmp_path / "explain")
    cfg = GenConfig(strategy="shap", target_distribution={"joy": 2})
    cfg.shap.keywords_file = str(path)
    out = run(cfg, fake(), tmp_path / "gen")
    assert all(p["keywords"] == {"joy": ["yay", "happy"]} for p in provenances(out.accepted))
    assert all(p["keywords_source"] == str(path) for p in provenances(out.accepted))
    with pytest.raises(ValueError, match="needs keywords"):
        run(GenConfig(strategy="shap", samples_per_label=1), fake(), tmp_path / "none")


# ------------------------------------------------------------------ conversation


def test_conversation_turn_by_turn_links_rows(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        speaker = re.search(r"Write (\w+)'s next line", last_user(request)).group(1)
        return f"{speaker}: line {request.sample_index} of {speaker}."

    backend = fake(reply)
    cfg = GenConfig(
        strategy="conversation",
        samples_per_label=2,
        conversation=ConversationConfig(turns_min=3, turns_max=4),
    )
    out = run(cfg, backend, tmp_path)
    assert len(out.accepted) == 22 and len(out.rejected) == 0
    by_dialogue: dict[str, list[dict[str, Any]]] = {}
    for record in out.accepted:
        by_dialogue.setdefault(record["dialogue_id"], []).append(record)
    assert len(by_dialogue) >= 22 // 5
    for rows in by_dialogue.values():
        rows.sort(key=lambda r: r["turn"])
        assert [r["turn"] for r in rows] == list(range(len(rows)))
        assert 2 <= len(rows) <= 5
        speakers = [r["speaker"] for r in rows]
        assert all(a != b for a, b in itertools.pairwise(speakers))
        assert len(set(speakers)) == 2
        for r in rows:
            assert len(r["labels"]) == 1
            # the speaker's name prefix is stripped from the utterance
            assert r["text"].startswith("line ")
            assert r["id"] == f"{r['dialogue_id']}-t{r['turn']:02d}"
        assert provenance_of(rows[0])["dialogue_complete"] is True
    assert Counter(label for row in out.accepted["labels"] for label in row) == {
        label: 2 for label in TAXONOMY.labels
    }
    # one batch per turn position; a later turn's prompt shows the earlier turns
    assert len(backend.batches[0]) == len(by_dialogue)
    second = backend.batches[1][0]
    assert "The conversation so far:" in last_user(second)
    assert "The conversation is just starting." in last_user(backend.batches[0][0])


def test_conversation_fill_underrepresented_favours_rare_classes(tmp_path: Path) -> None:
    seed = seed_set()  # joy-heavy (12 rows) and love (6 extra mentions)
    uniform = run(
        GenConfig(strategy="conversation", samples_per_label=3), fake(), tmp_path / "u", seed=seed
    )
    filled = run(
        GenConfig(
            strategy="conversation", samples_per_label=3, label_distribution="fill_underrepresented"
        ),
        fake(),
        tmp_path / "f",
        seed=seed,
    )
    count = lambda out: Counter(label for row in out.accepted["labels"] for label in row)  # noqa: E731
    assert count(uniform)["joy"] == 3
    assert count(filled)["joy"] == 0 and count(filled)["love"] < count(filled)["fear"]
    assert sum(count(filled).values()) == sum(count(uniform).values()) == 33


def test_conversation_turn_failure_stops_the_dialogue(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        if "The conversation so far:" in last_user(request):
            raise ValueError("simulated timeout")
        return "Hey there, long time!"

    cfg = GenConfig(
        strategy="conversation",
        samples_per_label=1,
        conversation=ConversationConfig(turns_min=3, turns_max=3),
    )
    backend = fake(reply)
    out = run(cfg, backend, tmp_path)
    dialogues = set(out.accepted["dialogue_id"])
    assert all(turn == 0 for turn in out.accepted["turn"])
    assert len(out.rejected) == len(dialogues)
    assert all(p["reason"] == "turn:llm_error" for p in provenances(out.rejected))
    assert all(turn == 1 for turn in out.rejected["turn"])
    assert all(p["dialogue_complete"] is False for p in provenances(out.accepted))
    assert out.stats["unrequested"] == 11 - 2 * len(dialogues)
    assert len(backend.batches) == 2


def test_a_rejected_turn_drops_its_dialogue_without_counting_it_missing(tmp_path: Path) -> None:
    # an answer that is read and rejected is final (a rerun reads the same cached reply), so
    # the dialogue's later turns are dropped and counted, never owed as missing samples
    def reply(request: ChatRequest, seed: int) -> str:
        if any("The conversation so far:" in content for _, content in request.messages):
            return ""  # re-asks included: the turn ends rejected as an empty reply
        return "Hey there, long time!"

    cfg = GenConfig(
        strategy="conversation",
        samples_per_label=1,
        conversation=ConversationConfig(turns_min=3, turns_max=3),
    )
    out = run(cfg, fake(reply), tmp_path)
    dropped = out.stats["failures"]["turn:dropped_after_rejected_turn"]
    assert out.stats["unrequested"] == 0
    # 11 planned turns: every first turn kept, every second one rejected, the rest dropped
    assert len(out.rejected) == len(out.accepted) and dropped > 0
    assert len(out.accepted) + len(out.rejected) + dropped == 11
    assert completeness(out.accepted, out.rejected, out.stats).missing == 0


def _dialogue_reply(request: ChatRequest, seed: int) -> str:
    plan = re.findall(r"^\d+\. (\w+) \((\w+)\)$", last_user(request), re.MULTILINE)
    if request.metadata.get("structured"):
        return json.dumps([{"speaker": s, "text": f"I say {e}.", "emotion": e} for s, e in plan])
    return "Here is the dialogue:\n" + "\n".join(f"{s}: I say {e}." for s, e in plan)


@pytest.mark.parametrize("structured", [True, False])
def test_conversation_whole_dialogue_per_request(tmp_path: Path, structured: bool) -> None:
    backend = fake(_dialogue_reply)
    cfg = GenConfig(
        strategy="conversation",
        samples_per_label=2,
        conversation=ConversationConfig(speakers=3, plain_mode="lines"),
    )
    out = run(cfg, backend, tmp_path, structured=structured)
    assert len(out.accepted) == 22
    assert len(backend.batches) == 1
    assert len(backend.requests) == len(set(out.accepted["dialogue_id"]))
    for record in out.accepted:
        assert record["text"] == f"I say {record['labels'][0]}."
        assert record["turn"] != NO_TURN and record["speaker"]


def test_conversation_invalid_json_dialogue_is_rejected_whole(tmp_path: Path) -> None:
    backend = fake(lambda request, seed: '[{"speaker": "A", "text": "hi", "emotion": "joy"}]')
    cfg = GenConfig(strategy="conversation", samples_per_label=1, max_reasks=1)
    out = run(cfg, backend, tmp_path, structured=True)
    assert len(out.accepted) == 0
    assert all(p["reason"] == "dialogue:too_few_turns" for p in provenances(out.rejected))
    assert all(record["turn"] == NO_TURN for record in out.rejected)
    assert out.stats["reasks"] == len(out.rejected)


# ------------------------------------------------------------------ multilingual


def test_multilingual_rows_carry_language_and_one_to_three_labels(tmp_path: Path) -> None:
    backend = fake()
    cfg = GenConfig(
        strategy="multilingual",
        samples_per_label=3,
        max_labels_per_sample=3,
        multilingual=MultilingualConfig(languages=["de", "sw"]),
    )
    out = run(cfg, backend, tmp_path)
    assert len(out.accepted) == 2 * 33
    assert Counter(out.accepted["language"]) == {"de": 33, "sw": 33}
    sizes = Counter(len(labels) for labels in out.accepted["labels"])
    assert set(sizes) <= {1, 2, 3} and sizes[1] < 66
    for record, request in zip(out.accepted, backend.requests, strict=True):
        prompt = " ".join(content for _, content in request.messages)
        name = {"de": "German", "sw": "Swahili"}[record["language"]]
        assert name in prompt
        assert provenance_of(record)["cultural_context"] in prompt
        assert provenance_of(record)["template"] == "multilingual.v3"


def test_multilingual_split_plan_shares_one_plan_among_the_languages(tmp_path: Path) -> None:
    """`plan=split`: a language set costs as many requests as English alone, so arms of
    different sizes compare at one generation budget."""
    cfg = GenConfig(
        strategy="multilingual",
        samples_per_label=4,
        multilingual=MultilingualConfig(languages=["en", "de", "sw", "hi"], plan="split"),
    )
    out = run(cfg, fake(), tmp_path)
    assert len(out.accepted) == 44
    assert Counter(out.accepted["language"]) == {"en": 11, "de": 11, "sw": 11, "hi": 11}
    for language in ("en", "de", "sw", "hi"):
        rows = [r for r in out.accepted if r["language"] == language]
        assert {r["labels"][0] for r in rows} == set(TAXONOMY.labels)
    with pytest.raises(ValueError, match=r"gen\.multilingual\.plan"):
        bad = GenConfig(
            strategy="multilingual",
            samples_per_label=1,
            multilingual=MultilingualConfig(languages=["de"], plan="halves"),
        )
        run(bad, fake(), tmp_path / "bad")


def test_multilingual_json_checks_the_stated_language(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        return json.dumps({"text": "Nimefurahi sana leo", "emotions": ["joy"], "language": "sw"})

    cfg = GenConfig(
        strategy="multilingual",
        target_distribution={"joy": 1},
        max_reasks=1,
        multilingual=MultilingualConfig(languages=["sw", "de"]),
    )
    out = run(cfg, fake(reply), tmp_path, structured=True)
    assert out.accepted["language"] == ["sw"]
    assert [p["reason"] for p in provenances(out.rejected)] == ["text:wrong_language"]
    assert out.stats["failures"] == {"text:wrong_language": 2}


def test_multilingual_unknown_language_fails_before_any_request(tmp_path: Path) -> None:
    backend = fake()
    cfg = GenConfig(
        strategy="multilingual",
        samples_per_label=1,
        multilingual=MultilingualConfig(languages=["de", "klingon"]),
    )
    with pytest.raises(ValueError, match="unknown language 'klingon'"):
        run(cfg, backend, tmp_path)
    assert backend.requests == []
