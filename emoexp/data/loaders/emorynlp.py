"""EmoryNLP emotion detection: the tab-separated text release and the official JSON.

Text files (EMORY_{train,dev,test}.txt) hold `speaker<TAB>utterance<TAB>label` with a
blank line between scenes; the JSON (episodes > scenes > utterances) holds the same
utterances in the same order. Both give scene k of a split the dialogue id
`<source>:<split>:d<k>` and utterance t the turn t, so rows from either agree on id,
dialogue, turn, text, label and (first) speaker.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.builder import CorpusBuilder
from emoexp.data.config import DataConfig
from emoexp.data.loaders.common import configured_file, hub_location, require_columns
from emoexp.data.report import DataError
from emoexp.data.textio import read_lines

# per split, the files tried in order when the config names none
DEFAULT_FILES = {
    "train": ("EMORY_train.txt", "emotion-detection-trn.json"),
    "validation": ("EMORY_dev.txt", "emotion-detection-dev.json"),
    "test": ("EMORY_test.txt", "emotion-detection-tst.json"),
}
_UTTERANCE_ID = re.compile(r'"utterance_id"\s*:\s*"([^"]+)"')


def split_file(root: Path, cfg: DataConfig, split: str) -> Path:
    configured = configured_file(cfg, split)
    candidates = [configured] if configured else list(DEFAULT_FILES[split])
    for name in candidates:
        path = Path(name).expanduser()
        path = path if path.is_absolute() else root / path
        if path.is_file():
            return path
    raise DataError(f"EmoryNLP {split} file not found in {root}; tried {candidates}")


def read_local(root: Path, cfg: DataConfig, builder: CorpusBuilder) -> None:
    for split in DEFAULT_FILES:
        if split not in cfg.read_splits:
            continue
        path = split_file(root, cfg, split)
        builder.report.add_file(split, str(path))
        if path.suffix == ".json":
            read_json(path, split, builder)
        else:
            read_text(path, split, cfg, builder)


def _ids(builder: CorpusBuilder, split: str, scene: int, turn: int) -> dict[str, Any]:
    return {
        "row_id": f"{builder.source}:{split}:d{scene}_u{turn}",
        "dialogue_id": f"{builder.source}:{split}:d{scene}",
        "turn": turn,
    }


def read_text(path: Path, split: str, cfg: DataConfig, builder: CorpusBuilder) -> None:
    file = str(path)
    scene, turn = 0, 0
    for number, line in read_lines(path, builder.report, cfg.encoding):
        if not line.strip():
            if turn:  # a blank line closes the scene; repeated blank lines close nothing
                scene, turn = scene + 1, 0
            continue
        fields = line.split("\t")
        position = turn
        turn += 1
        if len(fields) != 3:
            builder.reject(
                file,
                number,
                "wrong_columns",
                f"expected 3 tab-separated fields (speaker, utterance, label), found {len(fields)}",
            )
            continue
        speaker, text, label = fields
        builder.add(
            split,
            file,
            number,
            text=text,
            labels=[label.strip()],
            speaker=speaker,
            **_ids(builder, split, scene, position),
        )


def read_json(path: Path, split: str, builder: CorpusBuilder) -> None:
    file = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
        content = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        raise DataError(f"not readable as UTF-8 JSON: {exc}", file, line) from exc
    lines = utterance_lines(raw)
    try:
        scenes = [scene for episode in content["episodes"] for scene in episode["scenes"]]
    except (KeyError, TypeError) as exc:
        raise DataError(f"expected episodes > scenes > utterances: missing {exc}", file) from exc
    for scene_index, scene in enumerate(scenes):
        for turn, utterance in enumerate(scene.get("utterances", [])):
            utterance_id = str(utterance.get("utterance_id", ""))
            number = lines.get(utterance_id, 0)
            speakers = utterance.get("speakers") or [""]
            transcript, emotion = utterance.get("transcript"), utterance.get("emotion")
            if not isinstance(transcript, str) or not isinstance(emotion, str):
                builder.reject(
                    file,
                    number,
                    "bad_field",
                    f"utterance {utterance_id!r} lacks a transcript or emotion string",
                )
                continue
            builder.add(
                split,
                file,
                number,
                text=transcript,
                labels=[emotion],
                speaker=str(speakers[0]),
                extra={
                    "utterance_id": utterance_id,
                    "scene_id": scene.get("scene_id", ""),
                    "speakers": speakers,
                },
                **_ids(builder, split, scene_index, turn),
            )


def utterance_lines(raw: str) -> dict[str, int]:
    """The line of each `"utterance_id": ...` in the JSON text, counted in one pass."""
    lines: dict[str, int] = {}
    line, position = 1, 0
    for match in _UTTERANCE_ID.finditer(raw):
        line += raw.count("\n", position, match.start())
        position = match.start()
        lines[match.group(1)] = line
    return lines


def read_hub(hub: dict[str, datasets.Dataset], cfg: DataConfig, builder: CorpusBuilder) -> None:
    """A hub copy of the text files: columns speaker, utterance, label, plus the scene
    index in `dialogue_id` (or `scene`) and the position in `turn` (or `utterance_index`)."""
    for split, ds in hub.items():
        where = hub_location(cfg, split)
        require_columns(ds, ["speaker", "utterance", "label"], where)
        scene_column = next((c for c in ("dialogue_id", "scene") if c in ds.column_names), None)
        turn_column = next((c for c in ("turn", "utterance_index") if c in ds.column_names), None)
        if scene_column is None or turn_column is None:
            raise DataError(
                f"hub dataset needs a scene column (dialogue_id/scene) and a turn column "
                f"(turn/utterance_index); it has {ds.column_names}",
                where,
            )
        builder.report.add_file(split, where)
        for number, record in enumerate(ds, start=1):
            builder.add(
                split,
                where,
                number,
                text=str(record["utterance"]),
                labels=[str(record["label"])],
                speaker=str(record["speaker"]),
                **_ids(builder, split, int(record[scene_column]), int(record[turn_column])),
            )
