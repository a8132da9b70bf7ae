"""The seed artifact follows the data files' contents, not their folder's path, and an empty
split is a clear error that leaves nothing in the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from emoexp.cache.artifacts import ArtifactStore
from emoexp.data.config import DataConfig
from emoexp.data.report import DataError
from emoexp.data.taxonomy import load_taxonomy
from emoexp.stages.seed import seed_stage

TAXONOMY = load_taxonomy("emo11")
FILES = ("train.tsv", "dev.tsv", "test.tsv")


def small_goemotions(parent: Path, data_dir: Path, rows: int = 60) -> Path:
    """A GoEmotions folder in the release format with the first rows of each real file."""
    folder = parent / "goemotions"
    folder.mkdir(parents=True)
    shutil.copy(data_dir / "goemotions" / "emotions.txt", folder)
    for name in FILES:
        lines = (data_dir / "goemotions" / name).read_text(encoding="utf-8").splitlines()
        (folder / name).write_text("\n".join(lines[:rows]) + "\n", encoding="utf-8")
    return folder


def data_cfg() -> DataConfig:
    return OmegaConf.to_object(OmegaConf.structured(DataConfig))  # type: ignore[return-value]


def complete_seeds(store: ArtifactStore) -> list[str]:
    folder = store.root / "seed"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "_complete.json").is_file())


def test_an_edited_data_file_is_read_again(tmp_path: Path, data_dir: Path) -> None:
    folder = small_goemotions(tmp_path / "data", data_dir)
    store = ArtifactStore(tmp_path / "cache")
    with (folder / "train.tsv").open("a", encoding="utf-8") as handle:
        handle.write("a row with a bad label id\t99\tbad1\n")
    first = seed_stage(data_cfg(), TAXONOMY, str(tmp_path / "data"), 0, store)
    assert first.summary["skipped_rows"] == 1

    lines = (folder / "train.tsv").read_text(encoding="utf-8").splitlines()
    lines[-1] = "a row fixed by hand\t17\tbad1"
    (folder / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fixed = seed_stage(data_cfg(), TAXONOMY, str(tmp_path / "data"), 0, store)
    assert fixed.key != first.key
    assert fixed.summary["skipped_rows"] == 0
    assert len(fixed.train) == len(first.train) + 1


def test_the_same_files_elsewhere_reuse_the_artifact(tmp_path: Path, data_dir: Path) -> None:
    small_goemotions(tmp_path / "one", data_dir)
    small_goemotions(tmp_path / "two", data_dir)
    store = ArtifactStore(tmp_path / "cache")
    one = seed_stage(data_cfg(), TAXONOMY, str(tmp_path / "one"), 0, store)
    two = seed_stage(data_cfg(), TAXONOMY, str(tmp_path / "two"), 0, store)
    assert one.key == two.key and complete_seeds(store) == [one.key]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "the file holds no rows"),
        ("bad row without tabs\nanother one\n", "all 2 rows are malformed"),
    ],
)
def test_an_empty_split_names_its_file_and_caches_nothing(
    tmp_path: Path, data_dir: Path, content: str, reason: str
) -> None:
    folder = small_goemotions(tmp_path / "data", data_dir)
    original = (folder / "test.tsv").read_bytes()
    (folder / "test.tsv").write_text(content, encoding="utf-8")
    store = ArtifactStore(tmp_path / "cache")
    with pytest.raises(DataError, match=rf"test split has no usable rows: {reason}") as raised:
        seed_stage(data_cfg(), TAXONOMY, str(tmp_path / "data"), 0, store)
    assert str(folder / "test.tsv") in str(raised.value)
    assert complete_seeds(store) == []

    (folder / "test.tsv").write_bytes(original)
    restored = seed_stage(data_cfg(), TAXONOMY, str(tmp_path / "data"), 0, store)
    assert len(restored.test) > 0 and complete_seeds(store) == [restored.key]
