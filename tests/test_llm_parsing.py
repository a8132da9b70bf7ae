"""Reading JSON out of replies that wrap it in prose or fences."""

from __future__ import annotations

import pytest

from emoexp.text.json_extract import extract_json


@pytest.mark.parametrize(
    "reply",
    [
        '{"text": "I am glad", "emotions": ["joy"]}',
        '```json\n{"text": "I am glad", "emotions": ["joy"]}\n```',
        'Sure! Here it is:\n```\n{"text": "I am glad", "emotions": ["joy"]}\n```\nEnjoy.',
        'Here you go: {"text": "I am glad", "emotions": ["joy"]} -- hope that helps {not json}',
        '  \n{"text": "I am glad", "emotions": ["joy"]}\n\n',
    ],
)
def test_the_object_is_found(reply: str) -> None:
    assert extract_json(reply) == {"text": "I am glad", "emotions": ["joy"]}


@pytest.mark.parametrize(
    "reply",
    [None, "", "I am so happy today!", '["joy", "love"]', '{"text": "cut off', "{} {"],
)
def test_no_object_gives_none(reply: str | None) -> None:
    expected: dict | None = {} if reply == "{} {" else None
    assert extract_json(reply) == expected


def test_braces_in_prose_before_the_object_are_skipped() -> None:
    assert extract_json('Use {curly} braces: {"a": 1}') == {"a": 1}
