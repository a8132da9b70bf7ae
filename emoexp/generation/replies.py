"""Turning a raw LLM reply into a usable text, or into a named reason why it is not usable.

Plain-text replies of small models come wrapped in chat habits ("Sure! Here is a post:",
quotes, "Assistant:") and are often cut off by the token limit; those are cleaned, and what
is left after cleaning is judged. JSON replies are parsed and validated against the
taxonomy and the language asked for. Every failure is a `Parsed` with a short reason code
(counted in the run's stats) and a detail for the rejected row's provenance.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from emoexp.generation.languages import identify_language
from emoexp.text.json_extract import extract_json, extract_json_array
from emoexp.text.refusal import refusal_patterns

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    value: T | None
    reason: str = ""
    detail: str = ""
    # whether the reply was valid JSON (JSON mode only), counted apart from validity
    json_ok: bool = False

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.reason


def reject(reason: str, detail: str = "", *, json_ok: bool = False) -> Parsed[Any]:
    return Parsed(None, reason, detail, json_ok)


@dataclass(frozen=True)
class SampleReply:
    text: str
    labels: tuple[str, ...]
    language: str | None


@dataclass(frozen=True)
class TurnReply:
    speaker: str
    text: str
    labels: tuple[str, ...]


# ---------------------------------------------------------------------------- plain text

_META_WORDS = (
    r"post|text|message|tweet|comment|response|reply|example|sentence|version|story|"
    r"description|background|situation|line|dialogue|paragraph|status|update"
)
_INTERJECTION = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|alright|great|no problem)\b[!,.]*\s*"
    r"(?=(?:here|i'd|i would|i can|i will|i'll|this is|below)\b)",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(
    r"^(?:here(?:'s| is| are)|below is|this is|i'd be (?:happy|glad) to[^:\n]*|"
    rf"i (?:can|will|would)[^:\n]*|i'll[^:\n]*)[^:\n]*\b(?:{_META_WORDS})\b[^:\n]*(?::|\n|$)\s*",
    re.IGNORECASE,
)
_HEADING = re.compile(rf"^[^\n]{{0,80}}\b(?:{_META_WORDS})\b[^\n]{{0,40}}:\s*\n", re.IGNORECASE)
_ROLE = (
    "assistant|user|system|ai|bot|text|post|message|response|reply|answer|output|tweet|"
    "comment|background|situation|description|line"
)
_TRAILER = re.compile(
    r"\s*(?:\n|(?<=[.!?]))\s*(?:i hope (?:this|that|it) (?:helps|works|fits|is what)|"
    r"let me know if|feel free to|\(?note:|"
    r"this (?:post|text|message|line) (?:expresses|conveys|captures|shows))[^\n]*$",
    re.IGNORECASE,
)
# "Debra:" opening a dialogue line: a speaker tag, whoever the speaker is
_ANY_SPEAKER_TAG = re.compile(r"^\**[A-Z][\w'\-]{1,20}\**\s*:\s+")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“", "「": "」", "『": "』"}
_TERMINATORS = set(".!?…)\"'”’»」』。！？")


def _strip_role_prefix(text: str, extra_prefixes: Sequence[str]) -> str:
    names = [_ROLE, *(re.escape(name) for name in extra_prefixes if name)]
    pattern = re.compile(rf"^\**\s*(?:{'|'.join(names)})\s*\**\s*:\s*\**\s*", re.IGNORECASE)
    previous = None
    while previous != text:
        previous = text
        text = pattern.sub("", text, count=1).strip()
    return text


def _strip_quotes(text: str) -> str:
    while len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1]
        # "a" and "b" is two quotes, not one quoted text
        if text[0] in inner and text[0] == text[-1]:
            break
        text = inner.strip()
    return text


def _ends_complete(text: str) -> bool:
    last = text[-1]
    return last in _TERMINATORS or unicodedata.category(last) == "So"


def trim_incomplete_tail(text: str) -> str:
    """Drop a trailing fragment cut off by the token limit ("I can't wait to") when at least
    one complete sentence precedes it; a single unterminated sentence is kept as it is."""
    if not text or _ends_complete(text):
        return text
    cut = -1
    for position, char in enumerate(text[:-1]):
        if (char in _TERMINATORS or unicodedata.category(char) == "So") and text[
            position + 1
        ].isspace():
            cut = position
    return text[: cut + 1].rstrip() if cut >= 0 else text


def clean_reply(
    raw: str,
    *,
    extra_prefixes: Sequence[str] = (),
    trim_incomplete: bool = True,
    dialogue_line: bool = False,
) -> str:
    """The text a plain reply carries, without chat wrapping; may return ''.

    `dialogue_line`: the reply should be one utterance, so only its first line counts (small
    models go on writing the other speakers' lines) and any leading "Name:" tag goes."""
    text = raw.replace("\r\n", "\n").strip()
    text = re.sub(r"^```[a-zA-Z]*\s*|\s*```$", "", text).strip()
    text = _INTERJECTION.sub("", text).strip()
    text = _PREAMBLE.sub("", text, count=1).strip()
    text = _HEADING.sub("", text, count=1).strip()
    text = _TRAILER.sub("", text).strip()
    if dialogue_line:
        text = _ANY_SPEAKER_TAG.sub("", _strip_role_prefix(text, extra_prefixes))
        text = text.split("\n", 1)[0].strip()
    text = _strip_role_prefix(text, extra_prefixes)
    text = _strip_quotes(text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _strip_quotes(text)
    if trim_incomplete:
        text = trim_incomplete_tail(text)
    return text


def read_plain(
    raw: str,
    *,
    extra_prefixes: Sequence[str] = (),
    trim_incomplete: bool = True,
    min_chars: int = 3,
    dialogue_line: bool = False,
) -> Parsed[str]:
    text = clean_reply(
        raw,
        extra_prefixes=extra_prefixes,
        trim_incomplete=trim_incomplete,
        dialogue_line=dialogue_line,
    )
    if not text:
        return reject("empty_reply", f"nothing left after cleaning {raw[:80]!r}")
    if refusal_patterns().matches(text):
        return reject("refusal", text[:120])
    if sum(char.isalnum() for char in text) < min_chars:
        return reject("too_short", text)
    return Parsed(text)


# ---------------------------------------------------------------------------- JSON


def _not_json(truncated: bool | None) -> Parsed[Any]:
    cut = " (the reply was cut off at the token limit)" if truncated else ""
    return reject("not_json", f"no JSON in the reply{cut}")


def _match_labels(stated: Any, labels: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Stated emotions mapped onto taxonomy names (case and spacing forgiven), and the
    stated names that are not in the taxonomy."""
    if stated is None:
        return (), []
    if isinstance(stated, str):
        stated = [part for part in re.split(r"[,;/]", stated) if part.strip()]
    if not isinstance(stated, list):
        return (), [repr(stated)]
    by_key = {re.sub(r"[\s_\-]+", "", label.lower()): label for label in labels}
    found: list[str] = []
    unknown: list[str] = []
    for item in stated:
        key = re.sub(r"[\s_\-]+", "", str(item).lower())
        if key in by_key:
            if by_key[key] not in found:
                found.append(by_key[key])
        else:
            unknown.append(str(item))
    return tuple(found), unknown


def _get(mapping: dict[str, Any], *names: str) -> Any:
    lowered = {str(key).lower(): value for key, value in mapping.items()}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def read_json_sample(
    raw: str,
    *,
    labels: Sequence[str],
    language: str | None = None,
    truncated: bool | None = None,
) -> Parsed[SampleReply]:
    """A {"text", "emotions", "language"?} reply, validated against the taxonomy and, when
    the reply states its language, against the language asked for."""
    value: Any = extract_json(raw)
    if value is None:
        array = extract_json_array(raw)
        if array is None:
            return _not_json(truncated)
        if len(array) != 1 or not isinstance(array[0], dict):
            return reject("not_an_object", "got a JSON array, not one object", json_ok=True)
        value = array[0]
    text = _get(value, "text", "post", "message")
    if not isinstance(text, str) or not text.strip():
        return reject("missing_text", "no non-empty 'text' field", json_ok=True)
    stated = _get(value, "emotions", "emotion", "labels", "label")
    found, unknown = _match_labels(stated, labels)
    if unknown:
        return reject("labels_outside_taxonomy", f"not in the taxonomy: {unknown}", json_ok=True)
    if not found:
        return reject("no_labels", "no emotions stated", json_ok=True)
    stated_language = _get(value, "language", "lang")
    if language and isinstance(stated_language, str) and stated_language.strip():
        identified = identify_language(stated_language)
        if identified is None or identified.code != language:
            return reject(
                "wrong_language",
                f"asked for {language}, reply says {stated_language}",
                json_ok=True,
            )
    return Parsed(SampleReply(text.strip(), found, language), json_ok=True)


def read_json_dialogue(
    raw: str,
    *,
    labels: Sequence[str],
    min_turns: int = 2,
    min_speakers: int = 2,
    truncated: bool | None = None,
) -> Parsed[list[TurnReply]]:
    """A [{"speaker", "text", "emotion"}, ...] reply (or {"turns": [...]}), every turn valid."""
    value: Any = extract_json_array(raw)
    if value is None:
        wrapper = extract_json(raw)
        if wrapper is None:
            return _not_json(truncated)
        value = _get(wrapper, "turns", "dialogue", "conversation", "utterances")
    if not isinstance(value, list):
        return reject("not_a_list", "expected a JSON array of turns", json_ok=True)
    turns: list[TurnReply] = []
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            return reject("bad_turn", f"turn {position} is not an object", json_ok=True)
        speaker, text = _get(item, "speaker", "name"), _get(item, "text", "utterance", "line")
        if not isinstance(speaker, str) or not speaker.strip():
            return reject("bad_turn", f"turn {position} has no speaker", json_ok=True)
        if not isinstance(text, str) or not text.strip():
            return reject("missing_text", f"turn {position} has no text", json_ok=True)
        found, unknown = _match_labels(_get(item, "emotion", "emotions", "label"), labels)
        if unknown:
            return reject(
                "labels_outside_taxonomy",
                f"turn {position}: not in the taxonomy: {unknown}",
                json_ok=True,
            )
        if len(found) != 1:
            return reject("no_labels", f"turn {position} needs exactly one emotion", json_ok=True)
        turns.append(TurnReply(speaker.strip(), text.strip(), found))
    if len(turns) < min_turns:
        return reject("too_few_turns", f"{len(turns)} turns, need {min_turns}", json_ok=True)
    if len({turn.speaker for turn in turns}) < min_speakers:
        return reject("too_few_speakers", f"need {min_speakers} speakers", json_ok=True)
    return Parsed(turns, json_ok=True)


def read_dialogue_lines(
    raw: str, *, speakers: Sequence[str], min_turns: int = 2, trim_incomplete: bool = True
) -> Parsed[list[tuple[str, str]]]:
    """'Name: utterance' lines of the planned speakers, in order; other lines are ignored."""
    pattern = re.compile(
        rf"^\W*({'|'.join(re.escape(name) for name in speakers)})\W*\s*:\s*(.+)$", re.IGNORECASE
    )
    canonical = {name.lower(): name for name in speakers}
    lines: list[tuple[str, str]] = []
    for line in raw.splitlines():
        match = pattern.match(line.strip())
        if match:
            text = clean_reply(match.group(2), trim_incomplete=trim_incomplete)
            if text:
                lines.append((canonical[match.group(1).lower()], text))
    if len(lines) < min_turns:
        return reject("too_few_turns", f"{len(lines)} 'Name: line' turns, need {min_turns}")
    return Parsed(lines)


# ---------------------------------------------------------------------------- echoes

# the start every corrective follow-up message shares (emoexp.generation.asking)
REASK_PREFIX = "That reply could not be used"
# "<the post>", "<what they say>", "<name>": a template's placeholder
_ANGLE_PLACEHOLDER = re.compile(r"<[^<>\n]{1,60}>")
# a whole text that is only a placeholder: "[your post here]", "{text}", "..."
_BARE_PLACEHOLDER = re.compile(
    r"^\s*(?:[\[{(<][^\]})>]{0,60}[\]})>]|\.{3}|…|(?:your|the) (?:post|text|message) here)\s*$",
    re.IGNORECASE,
)
# a text that is structured data rather than a post: {"text": ...} or ["a", "b"]
_DATA_LIKE = re.compile(r'^\s*[\[{]\s*["\[{]')
# shingle length (characters) for the echo measure: long enough that a shared shingle is
# copied text, short enough for short posts; characters, so every script counts alike
_SHINGLE = 24
_ECHO_SHARE = 0.6
# shorter texts are not judged by overlap: "Thank you so much." may fairly repeat a line
_ECHO_MIN_CHARS = 40


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _shingles(text: str) -> set[str]:
    return {text[i : i + _SHINGLE] for i in range(max(1, len(text) - _SHINGLE + 1))}


def prompt_echo(text: str, messages: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """Why `text` is not a post of its own but the prompt coming back, or None.

    Reasons: `placeholder` (a template placeholder such as `<the post>`), `echoes_reask`
    (the corrective follow-up message), `echoes_prompt` (half or more of the text copied from
    the system or user messages: the instructions, the label list, a persona, earlier
    turns), `not_a_post` (JSON or a list instead of text). Compared by characters, so it
    holds for every language and script."""
    stripped = text.strip()
    prompt_parts = [content for role, content in messages if role in ("system", "user")]
    prompt = "\n".join(prompt_parts)
    if _BARE_PLACEHOLDER.match(stripped):
        return "placeholder", stripped[:80]
    for match in _ANGLE_PLACEHOLDER.finditer(stripped):
        if match.group(0) in prompt or len(match.group(0)) >= len(stripped) - 2:
            return "placeholder", match.group(0)
    if REASK_PREFIX.casefold() in stripped.casefold():
        return "echoes_reask", stripped[:120]
    if _DATA_LIKE.match(stripped):
        return "not_a_post", stripped[:120]
    normal = _normalised(stripped)
    normal_prompt = _normalised(prompt)
    if len(normal) < _ECHO_MIN_CHARS:
        return None
    if normal in normal_prompt:
        return "echoes_prompt", stripped[:120]
    if len(normal) >= _SHINGLE:
        text_shingles = _shingles(normal)
        copied = sum(shingle in normal_prompt for shingle in text_shingles)
        share = copied / len(text_shingles)
        if share >= _ECHO_SHARE:
            return "echoes_prompt", f"{share:.0%} copied from the prompt: {stripped[:100]}"
    return None


def reply_texts(value: Any) -> list[str]:
    """The texts a reader's value carries (a post, a sample, a dialogue's lines)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, SampleReply | TurnReply):
        return [value.text]
    if isinstance(value, list):
        texts: list[str] = []
        for item in value:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
                texts.append(item[1])
            else:
                texts.extend(reply_texts(item))
        return texts
    return []
