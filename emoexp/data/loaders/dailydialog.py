"""DailyDialog, official release: one dialogue a line, utterances ended by `__eou__`.

Each split folder of the release (train/, validation/, test/) holds
dialogues_<split>.txt and dialogues_emotion_<split>.txt, line n of one belonging to line n
of the other; the emotion line has one code 0..6 per utterance (0 no emotion, 1 anger,
2 disgust, 3 fear, 4 happiness, 5 sadness, 6 surprise: the taxonomy's order). A folder
holding dialogues_text.txt and dialogues_emotion.txt (the release's whole-corpus names)
is read too. Text keeps the release's tokenisation (spaces before punctuation).

`data.train_file` / `validation_file` / `test_file` override a split's file. A file whose
lines are tab-separated `speaker<TAB>utterance<TAB>emotion` (a blank line between dialogues,
an optional header; emotion as a code 0..6 or a name) is read in that layout, the one common
in ERC code; `<split>.tsv` in the corpus folder is found without an override.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from emoexp.data.builder import CorpusBuilder
from emoexp.data.config import DataConfig
from emoexp.data.loaders.common import (
    class_names,
    configured_file,
    hub_location,
    require_columns,
    require_file,
    split_path,
)
from emoexp.data.report import DataError
from emoexp.data.textio import line_count, read_lines

END_OF_UTTERANCE = "__eou__"


def split_files(root: Path, split: str) -> tuple[Path, Path]:
    folder = root / split
    candidates = [
        (folder / f"dialogues_{split}.txt", folder / f"dialogues_emotion_{split}.txt"),
        (folder / "dialogues_text.txt", folder / "dialogues_emotion.txt"),
    ]
    for text_file, emotion_file in candidates:
        if text_file.is_file() and emotion_file.is_file():
            return text_file, emotion_file
    tried = [f"{text.name} + {emotion.name}" for text, emotion in candidates]
    raise DataError(f"DailyDialog {split} files not found in {folder}; tried {tried}")


def emotion_file_for(text_file: Path) -> Path:
    """The release's emotion file beside a dialogues text file (`dialogues_<x>` ->
    `dialogues_emotion_<x>`, `dialogues_text` -> `dialogues_emotion`)."""
    name = text_file.name
    if name == "dialogues_text.txt":
        return text_file.with_name("dialogues_emotion.txt")
    if name.startswith("dialogues_"):
        return text_file.with_name("dialogues_emotion_" + name[len("dialogues_") :])
    return text_file.with_name(f"{text_file.stem}_emotion{text_file.suffix}")


def is_tab_separated(path: Path, encoding: str) -> bool:
    """True when the first non-blank line has speaker, utterance and emotion fields."""
    with path.open(encoding=encoding, errors="replace") as handle:
        for line in handle:
            if line.strip():
                return line.count("\t") == 2
    return False


def read_local(root: Path, cfg: DataConfig, builder: CorpusBuilder) -> None:
    for split in ("train", "validation", "test"):
        if split not in cfg.read_splits:
            continue
        if configured_file(cfg, split):
            path = require_file(split_path(root, cfg, split, ""), f"DailyDialog {split} file")
        elif (root / f"{split}.tsv").is_file():
            path = root / f"{split}.tsv"
        else:
            path = split_files(root, split)[0]
        builder.report.add_file(split, str(path))
        if is_tab_separated(path, cfg.encoding):
            read_tab_separated(path, split, cfg, builder)
            continue
        emotion_file = require_file(emotion_file_for(path), f"DailyDialog {split} emotion file")
        builder.report.add_file(split, str(emotion_file))
        read_pair(path, emotion_file, split, cfg, builder)


# names used for the release's labels in ERC code and on the hub
LABEL_ALIASES = {
    "neutral": "no_emotion",
    "no emotion": "no_emotion",
    "none": "no_emotion",
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "angry": "anger",
    "fearful": "fear",
    "disgusted": "disgust",
    "surprised": "surprise",
}
HEADER = ("speaker", "utterance", "emotion")


def label_name(value: str, names: tuple[str, ...]) -> str:
    """A code 0..6, a taxonomy name or a common alias, as the taxonomy's name (unknown
    values come back unchanged, for the builder to reject with its reason)."""
    value = value.strip()
    if value.isdigit() and int(value) < len(names):
        return names[int(value)]
    lowered = value.lower()
    return LABEL_ALIASES.get(lowered, lowered)


def read_tab_separated(path: Path, split: str, cfg: DataConfig, builder: CorpusBuilder) -> None:
    file = str(path)
    names = tuple(builder.taxonomy.labels)
    dialogue, turn = 0, 0
    for number, line in read_lines(path, builder.report, cfg.encoding):
        if not line.strip():
            if turn:  # a blank line closes the dialogue; repeated blank lines close nothing
                dialogue, turn = dialogue + 1, 0
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            builder.reject(
                file,
                number,
                "wrong_columns",
                f"expected 3 tab-separated fields (speaker, utterance, emotion), found "
                f"{len(fields)}",
            )
            continue
        if tuple(f.strip().lower() for f in fields) == HEADER:
            continue
        speaker, text, label = fields
        builder.add(
            split,
            file,
            number,
            row_id=f"{builder.source}:{split}:d{dialogue}_u{turn}",
            text=text.strip(),
            labels=[label_name(label, names)],
            dialogue_id=f"{builder.source}:{split}:d{dialogue}",
            turn=turn,
            speaker=speaker.strip(),
        )
        turn += 1


def read_pair(
    text_file: Path, emotion_file: Path, split: str, cfg: DataConfig, builder: CorpusBuilder
) -> None:
    file = str(text_file)
    texts = dict(read_lines(text_file, builder.report, cfg.encoding))
    codes = dict(read_lines(emotion_file, builder.report, cfg.encoding))
    text_lines, code_lines = line_count(text_file), line_count(emotion_file)
    dialogue = 0
    for number in range(1, max(text_lines, code_lines) + 1):
        if number > text_lines or number > code_lines:
            shorter = text_file.name if number > text_lines else emotion_file.name
            builder.reject(file, number, "length_mismatch", f"{shorter} has no line {number}")
            continue
        if number not in texts or number not in codes:
            continue  # undecodable in one of the files: already recorded as bad_encoding
        text_line, code_line = texts[number], codes[number]
        if not text_line.strip() and not code_line.strip():
            continue
        utterances = split_utterances(text_line)
        labels = parse_codes(code_line, file, number, builder)
        if labels is None:
            continue
        if len(labels) != len(utterances):
            builder.reject(
                file,
                number,
                "length_mismatch",
                f"{len(utterances)} utterances but {len(labels)} emotion codes in "
                f"{emotion_file.name}",
            )
            continue
        add_dialogue(utterances, labels, split, file, number, dialogue, builder)
        dialogue += 1


def split_utterances(line: str) -> list[str]:
    """Utterances of a dialogue line; the text after the last __eou__ is only whitespace."""
    parts = [part.strip() for part in line.split(END_OF_UTTERANCE)]
    if parts and not parts[-1]:
        parts.pop()
    return parts


def parse_codes(line: str, file: str, number: int, builder: CorpusBuilder) -> list[str] | None:
    names = builder.taxonomy.labels
    labels = []
    for token in line.split():
        if not token.isdigit():
            builder.reject(file, number, "bad_label", f"unparsable emotion code {token!r}")
            return None
        if int(token) >= len(names):
            builder.reject(
                file, number, "unknown_label", f"emotion code {token} outside 0..{len(names) - 1}"
            )
            return None
        labels.append(names[int(token)])
    return labels


def add_dialogue(
    utterances: list[str],
    labels: list[str],
    split: str,
    file: str,
    number: int,
    dialogue: int,
    builder: CorpusBuilder,
) -> None:
    """One row per utterance; an empty utterance is refused alone, keeping the others' turns."""
    for turn, (text, label) in enumerate(zip(utterances, labels, strict=True)):
        builder.add(
            split,
            file,
            number,
            row_id=f"{builder.source}:{split}:d{dialogue}_u{turn}",
            text=text,
            labels=[label],
            dialogue_id=f"{builder.source}:{split}:d{dialogue}",
            turn=turn,
            speaker="A" if turn % 2 == 0 else "B",
            extra={"dialogue_line": number},
        )


def read_hub(hub: dict[str, datasets.Dataset], cfg: DataConfig, builder: CorpusBuilder) -> None:
    """The hub's layout: one dialogue a row, `dialog` (list of str), `emotion` (list of codes)."""
    for split, ds in hub.items():
        where = hub_location(cfg, split)
        require_columns(ds, ["dialog", "emotion"], where)
        names = class_names(ds, "emotion")
        if names is not None and len(names) != len(builder.taxonomy):
            # codes index the taxonomy ("no emotion" there is no_emotion here)
            raise DataError(f"hub emotion classes {names} are not the release's 7 codes", where)
        builder.report.add_file(split, where)
        for number, (dialog, emotion) in enumerate(
            zip(ds["dialog"], ds["emotion"], strict=True), start=1
        ):
            utterances = [str(text).strip() for text in dialog]
            labels = parse_codes(" ".join(map(str, emotion)), where, number, builder)
            if labels is None:
                continue
            if len(labels) != len(utterances):
                builder.reject(
                    where,
                    number,
                    "length_mismatch",
                    f"{len(utterances)} utterances but {len(labels)} emotion codes",
                )
                continue
            add_dialogue(utterances, labels, split, where, number, number - 1, builder)
