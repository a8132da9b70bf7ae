"""The default filters on correct, hand-written posts in seven languages and four scripts,
asked for and answered through a loopback OpenAI-compatible server: every language keeps
about as many as English (goal: within 15 points). Also the pieces that make it so: token
counts in unspaced scripts, rule filters that record where they do not apply, and a
label-consistency scorer that reads every language."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest
import yaml
from helpers.loopback_server import LoopbackServer
from helpers.rows import labelled_rows

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows
from emoexp.data.schema import provenance_of
from emoexp.data.taxonomy import load_mapping, load_taxonomy
from emoexp.filters import FilterContext, apply_filters
from emoexp.filters.base import PASS
from emoexp.filters.base import FilterContext as Context
from emoexp.filters.config import FilterConfig, LeakageFilterConfig, RefusalFilterConfig
from emoexp.filters.leakage import LeakageFilter
from emoexp.filters.refusal import RefusalFilter
from emoexp.generation import GenConfig, generate
from emoexp.generation.config import MultilingualConfig
from emoexp.generation.languages import load_languages
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.text.tokenize import token_count

EMO11 = load_taxonomy("emo11")
POSTS: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "multilingual_posts.yaml").read_text(encoding="utf-8")
)
LANGUAGES = list(POSTS)
ASKED = re.compile(r"Write it in (.+?) \(")
EMOTION = re.compile(r"so that it expresses (\w+)")


def test_token_count_counts_unspaced_scripts_by_character() -> None:
    assert token_count("I got the job today") == 5
    assert token_count("家が決まった！") == 6  # 家 が 決 ま っ た
    assert token_count("今日は友達に会えて本当に嬉しかった。") > 10
    assert token_count("أنا حزين جدا اليوم") == 4


def rows(items: list[tuple[str, list[str], str]]) -> datasets.Dataset:
    return labelled_rows(items, source="synthetic", provenance={"strategy": "test"})


REFUSALS = [
    ("Как языковая модель, я не могу написать такой текст.", "ru"),
    ("Вот текст поста: я так рада сегодня!", "ru"),
    ("Як мовна модель, я не можу написати цей текст.", "uk"),
    ("بصفتي نموذج لغوي، لا أستطيع كتابة هذا المنشور.", "ar"),
    ("إليك منشور عن الحزن: اليوم فقدت صديقي.", "ar"),
    ("एक एआई के रूप में, मैं इसमें मदद नहीं कर सकता।", "hi"),
    ("AIとして、そのような文章は書くことはできません。", "ja"),
    ("以下は喜びを表す投稿です：やった！", "ja"),
    ("作为一个人工智能，我无法写这样的帖子。", "zh"),
    ("AI로서 그런 글은 작성할 수 없습니다.", "ko"),
    ("Kama modeli ya lugha, siwezi kuandika chapisho hilo.", "sw"),
    ("Als taalmodel kan ik je daar niet mee helpen.", "nl"),
    ("Bir yapay zeka olarak bu metni yazamam.", "tr"),
    ("Sebagai model bahasa, saya tidak bisa menulis itu.", "id"),
]


def test_refusals_are_caught_in_more_languages_and_hand_written_posts_pass() -> None:
    refused = rows([(text, ["joy"], code) for text, code in REFUSALS])
    verdicts = RefusalFilter(RefusalFilterConfig()).evaluate(refused, Context(taxonomy=EMO11))
    assert [v.keep for v in verdicts] == [False] * len(REFUSALS), [
        (text, v.reason) for (text, _), v in zip(REFUSALS, verdicts, strict=True)
    ]
    posts = rows(
        [(text, [emotion], code) for code, by in POSTS.items() for emotion, text in by.items()]
    )
    verdicts = RefusalFilter(RefusalFilterConfig()).evaluate(posts, Context(taxonomy=EMO11))
    assert all(v.keep and v.reason == PASS for v in verdicts)


def test_rule_filters_record_the_languages_they_do_not_cover() -> None:
    ds = rows(
        [
            ("Als KI kann ich dir dabei nicht helfen, tut mir leid.", ["anger"], "de"),
            ("Hier ist ein Beitrag über Wut: Ich bin sauer.", ["anger"], "de"),
            ("Como modelo de lenguaje, no puedo escribir eso.", ["fear"], "es"),
            ("As an AI language model I cannot write that.", ["fear"], "sw"),
            ("Nimechoka na foleni hii kila siku.", ["frustration"], "sw"),
            ("I feel so angry right now", ["anger"], "en"),
            ("मुझे बहुत गुस्सा आ रहा है", ["anger"], "hi"),
        ]
    )
    refusal = RefusalFilter(RefusalFilterConfig()).evaluate(ds, Context(taxonomy=EMO11))
    assert [v.keep for v in refusal] == [False, False, False, False, True, True, True]
    assert refusal[4].reason == refusal[6].reason == PASS
    tamil = rows([("எனக்கு இன்று மிகவும் கோபமாக இருக்கிறது", ["anger"], "ta")])
    verdict = RefusalFilter(RefusalFilterConfig()).evaluate(tamil, Context(taxonomy=EMO11))[0]
    assert verdict.keep and verdict.reason == "only_english_patterns:ta"
    leakage = LeakageFilter(LeakageFilterConfig()).evaluate(ds, Context(taxonomy=EMO11))
    assert not leakage[5].keep and leakage[5].reason == "names_own_emotion"
    assert leakage[6].keep and leakage[6].reason == "not_applied:hi"


@pytest.fixture(scope="module")
def seed(data_dir: Path) -> datasets.Dataset:
    """The real seed the default experiment uses: GoEmotions mapped to emo11."""
    corpus = load_corpus(DataConfig(), str(data_dir))
    splits, _ = map_corpus(corpus.splits, load_mapping("goemotions", "emo11"), EMO11)
    return sample_rows(splits["train"].select(range(20000)), 3000, 0)


def reply_with_post(messages: list[tuple[str, str]], seed: Any, structured: bool) -> str:
    """The loopback server's answer: the hand-written post for the asked language and emotion."""
    prompt = messages[-1][1]
    names = {language.name: code for code, language in load_languages().items()}
    language = names[ASKED.search(prompt).group(1)]  # type: ignore[union-attr]
    emotion = EMOTION.search(prompt).group(1)  # type: ignore[union-attr]
    return POSTS[language][emotion]


def kept_share(report: dict[str, Any]) -> dict[str, float]:
    return {
        language: entry["kept"] / entry["input"]
        for language, entry in report["per_language"].items()
    }


@pytest.mark.slow
def test_correct_posts_survive_the_default_filters_in_every_language(
    seed: datasets.Dataset, tmp_path: Path
) -> None:
    gen_cfg = GenConfig(
        strategy="multilingual",
        samples_per_label=1,
        max_labels_per_sample=1,
        multilingual=MultilingualConfig(languages=LANGUAGES),
    )
    with LoopbackServer(reply=reply_with_post) as server:
        llm = LLMConfig(
            backend="openai",
            model="hand-written",
            base_url=[server.base_url],
            api_key_env="EMOEXP_TEST_UNSET_KEY",
            progress=False,
        )
        backend = build_backend(llm, tmp_path / "responses.sqlite")
        generated = generate(gen_cfg, backend, EMO11, seed, None, tmp_path, structured=False)
    assert len(generated.accepted) == 11 * len(LANGUAGES)
    # every prompt of a language differs: a setting is drawn per request
    assert generated.stats["distinct_prompts_per_language"] == {code: 11 for code in LANGUAGES}
    context = FilterContext(taxonomy=EMO11, seed=seed, reference={})
    default = apply_filters(FilterConfig(), generated.accepted, context)
    tfidf_cfg = FilterConfig()
    tfidf_cfg.label_consistency.scorer = "tfidf"
    tfidf_cfg.label_consistency.score = "probability"
    tfidf = apply_filters(tfidf_cfg, generated.accepted, context)
    shares, english_only = kept_share(default.report), kept_share(tfidf.report)
    record = {"default": shares, "tfidf": english_only, "why": default.report["rejected_by_reason"]}
    print("kept share per language:", json.dumps(record))
    # goal: every language within 15 points of English (one post in 11 is 9 points)
    for language in LANGUAGES:
        assert shares[language] >= shares["en"] - 0.15, (language, shares)
    assert min(shares.values()) >= 0.7, shares
    # the English TF-IDF judge keeps almost nothing outside English: the fault it replaces
    assert sum(english_only[code] for code in ("ar", "hi", "ja")) / 3 < 0.3
    scorer = {
        provenance_of(r)["filters"]["label_consistency"]["detail"]["scorer"] for r in default.kept
    }
    assert scorer == {"encoder"}
    assert default.report["config"]["label_consistency"]["scorer"] == "encoder"


def test_label_rank_is_the_share_of_labels_not_asked_for_that_score_lower() -> None:
    from emoexp.filters.label_consistency import label_ranks

    index = {"anger": 0, "fear": 1, "joy": 2, "sadness": 3, "love": 4}
    fitted = np.array([True, True, True, True, False])
    low = np.array([0.02, 0.05, 0.01, 0.03, 0.9])  # a row far from the seed's language
    assert label_ranks(low, fitted, ["fear"], index) == {"fear": 1.0}
    assert label_ranks(low, fitted, ["joy"], index) == {"joy": 0.0}
    # the same order at another scale ranks the same: the threshold means the same everywhere
    assert label_ranks(low * 10, fitted, ["anger"], index) == label_ranks(
        low, fitted, ["anger"], index
    )
    # two asked labels are each compared with the two not asked for; unjudged labels are left out
    assert label_ranks(low, fitted, ["anger", "fear", "love"], index) == {
        "anger": 0.5,
        "fear": 1.0,
    }
