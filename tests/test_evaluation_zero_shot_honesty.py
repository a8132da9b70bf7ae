"""Zero-shot figures say what they are: test split only, partly present corpora skipped with
their reason, the training corpus marked in-domain, other languages flagged, neutral left
out as well; DailyDialog read from overrides and the tab-separated ERC layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from emoexp.data.loading import load_corpus
from emoexp.data.taxonomy import load_taxonomy
from emoexp.evaluation.config import EvalConfig
from emoexp.evaluation.zero_shot import CHANCE_NOTE, data_config, evaluate_zero_shot
from emoexp.tracking.summary import write_summary

EMO11 = load_taxonomy("emo11")
SEMEVAL_LABELS = (
    "anger anticipation disgust fear joy love optimism pessimism sadness surprise trust"
)
HEADER = "\t".join(["ID", "Tweet", *SEMEVAL_LABELS.split()])
# hand-written Arabic tweets in the official SemEval-2018 E-c layout (the real files may not
# be redistributed): anger, joy, sadness, fear, and one with no emotion
ARABIC_ROWS = [
    ("2018-Ar-00001", "أنا غاضب جدا من هذا الظلم", "1\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"),
    ("2018-Ar-00002", "يوم جميل وسعيد مع العائلة", "0\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0"),
    ("2018-Ar-00003", "حزين على فراق صديقي", "0\t0\t0\t0\t0\t0\t0\t0\t1\t0\t0"),
    ("2018-Ar-00004", "خائف من نتيجة الامتحان غدا", "0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t0"),
    ("2018-Ar-00005", "ذهبت إلى السوق اليوم", "0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"),
]


class OracleModel:
    """Gold labels at 0.9, everything else at 0.05: every ranking figure is perfect."""

    def predict_proba(self, ds) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.where(np.asarray(ds["multi_hot"]) > 0, 0.9, 0.05)


class NeutralFirstModel:
    """Ranks neutral above everything for every row, the rest flat: the at-chance pattern."""

    def predict_proba(self, ds) -> np.ndarray:  # type: ignore[no-untyped-def]
        probs = np.full((len(ds), len(EMO11.labels)), 0.1)
        probs[:, EMO11.index("neutral")] = 0.9
        return probs


@pytest.fixture()
def partial_data(tmp_path: Path, data_dir: Path) -> Path:
    """A data folder as a user may have it: MELD with its test file only, EmoryNLP without
    its test file, GoEmotions whole, SemEval Arabic test split under its official name."""
    (tmp_path / "meld").mkdir()
    shutil.copy(data_dir / "meld" / "test_sent_emo.csv", tmp_path / "meld")
    (tmp_path / "emorynlp").mkdir()
    shutil.copy(data_dir / "emorynlp" / "EMORY_train.txt", tmp_path / "emorynlp")
    (tmp_path / "goemotions").symlink_to(data_dir / "goemotions")
    (tmp_path / "semeval_ec").mkdir()
    lines = [HEADER] + ["\t".join(row) for row in ARABIC_ROWS]
    (tmp_path / "semeval_ec" / "2018-E-c-Ar-test-gold.txt").write_bytes(
        ("\r\n".join(lines) + "\r\n").encode()
    )
    return tmp_path


def test_partly_present_corpora_are_scored_from_the_test_split_or_skipped(
    partial_data: Path,
) -> None:
    cfg = EvalConfig(zero_shot=["meld", "emorynlp", "semeval_ec_ar"], zero_shot_max_rows=200)
    results = evaluate_zero_shot(OracleModel(), cfg, partial_data, EMO11)
    assert results["meld"]["ap_micro"] == pytest.approx(1.0)  # train/dev absent: not needed
    assert results["meld"]["rows"] == 200
    assert "EMORY_test.txt" in results["emorynlp"]["skipped"]
    assert results["semeval_ec_ar"]["n_samples"] == len(ARABIC_ROWS)


def test_flags_in_domain_language_and_neutral(partial_data: Path) -> None:
    cfg = EvalConfig(zero_shot=["goemotions", "meld", "semeval_ec_ar"], zero_shot_max_rows=300)
    results = evaluate_zero_shot(
        NeutralFirstModel(),
        cfg,
        partial_data,
        EMO11,
        training_corpus=("goemotions", "en"),
        encoder_languages={"en"},
    )
    goemotions, meld, arabic = results["goemotions"], results["meld"], results["semeval_ec_ar"]
    assert goemotions["in_domain"] and not meld["in_domain"] and not arabic["in_domain"]
    assert goemotions["trained_language"] and meld["trained_language"]
    assert arabic["language"] == "ar" and arabic["trained_language"] is False
    assert arabic["note"] == CHANCE_NOTE and "note" not in meld
    for result in (goemotions, meld):
        without = result["without_neutral"]
        assert set(without) == {"ap_micro", "lrap", "auroc_micro"}
        # ranking neutral first helps only where neutral is frequent: without it, chance
        assert without["auroc_micro"] == pytest.approx(0.5)
        assert without["ap_micro"] < result["ap_micro"]


def test_summary_prints_the_flags(partial_data: Path, tmp_path: Path) -> None:
    cfg = EvalConfig(zero_shot=["goemotions", "semeval_ec_ar", "emorynlp"], zero_shot_max_rows=100)
    results = evaluate_zero_shot(
        NeutralFirstModel(),
        cfg,
        partial_data,
        EMO11,
        training_corpus=("goemotions", "en"),
        encoder_languages={"en"},
    )
    job = OmegaConf.create(
        {
            "data": {"name": "goemotions"},
            "taxonomy": "emo11",
            "model": {"name": "minilm", "pretrained": "x", "pooling": "mean"},
            "trainer": {"max_epochs": 1},
            "seed": 0,
            "gen": {"strategy": "naive"},
            "regime": "real",
        }
    )
    out = tmp_path / "job"
    out.mkdir()
    text = write_summary(out, job, {"test": {}, "zero_shot": results}).read_text()
    assert "goemotions (in-domain, en" in text
    assert "semeval_ec_ar (zero-shot, ar" in text and "figures at chance level" in text
    assert "without neutral" in text
    assert "emorynlp: skipped" in text


DAILYDIALOG_TSV = """speaker\tutterance\temotion
A\tI got the job today !\thappiness
B\tThat's wonderful news .\t4
A\tThanks , I was so nervous .\tfear

A\tWhere were you last night ?\tno_emotion
B\tI told you not to touch my things !\tanger
"""


def test_dailydialog_reads_overrides_and_the_tab_separated_layout(tmp_path: Path) -> None:
    folder = tmp_path / "dailydialog"
    folder.mkdir()
    (folder / "dd_test.tsv").write_text(DAILYDIALOG_TSV)
    cfg = data_config("dailydialog")
    cfg.read_splits = ["test"]
    cfg.test_file = "dd_test.tsv"
    corpus = load_corpus(cfg, tmp_path)
    test = corpus.splits["test"]
    assert test["text"][0] == "I got the job today !"
    assert [labels[0] for labels in test["labels"]] == [
        "happiness",
        "happiness",
        "fear",
        "no_emotion",
        "anger",
    ]
    assert test["dialogue_id"][2] != test["dialogue_id"][3]
    assert test["speaker"][4] == "B"


def test_dailydialog_release_pair_through_an_override(tmp_path: Path) -> None:
    folder = tmp_path / "dd"
    folder.mkdir()
    (folder / "dialogues_mytest.txt").write_text("Hi there ! __eou__ Go away ! __eou__\n")
    (folder / "dialogues_emotion_mytest.txt").write_text("0 1 \n")
    cfg = data_config("dailydialog")
    cfg.path = str(folder)
    cfg.read_splits = ["test"]
    cfg.test_file = "dialogues_mytest.txt"
    test = load_corpus(cfg, tmp_path).splits["test"]
    assert [labels[0] for labels in test["labels"]] == ["no_emotion", "anger"]
