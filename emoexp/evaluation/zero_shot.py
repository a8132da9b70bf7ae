"""Human-annotated test sets, mapped into the model's taxonomy, for zero-shot scoring.

Each set is a `data/` option read by the same loaders as training data. Only the labels the
set's mapping can produce are scored; the rest of the model's labels are reported as
ignored. A set whose files are not on this machine (several have licenses that forbid
copying them) is reported as skipped with the loader's reason unless `require_all` is set;
so is one that is only partly on disk. Only the test split is read.

Every scored set says what its figures mean: its language and whether the encoder was
pretrained on it (`trained_language`: false means the figures are at chance level, not
zero-shot transfer), and whether it is the training corpus itself (`in_domain`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from omegaconf import OmegaConf

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.report import CorpusNotFoundError, DataError
from emoexp.data.sampling import sample_rows
from emoexp.data.taxonomy import DROP, KEEP_EMPTY, LabelMapping, Taxonomy, load_mapping
from emoexp.evaluation.config import EvalConfig
from emoexp.evaluation.scoring import EvalSet, ProbabilityModel, SkippedSet, evaluate
from emoexp.paths import CONF_DIR

log = logging.getLogger(__name__)
DATA_CONF_DIR = CONF_DIR / "data"
SAMPLE_SEED = 0


class ZeroShotSetError(RuntimeError):
    """A required zero-shot set could not be loaded."""


def data_config(name: str) -> DataConfig:
    """The `data/<name>.yaml` option, validated against DataConfig like a composed config."""
    path = DATA_CONF_DIR / f"{name}.yaml"
    if not path.is_file():
        options = sorted(p.stem for p in DATA_CONF_DIR.glob("*.yaml"))
        raise ValueError(
            f"eval.zero_shot names {name!r}, but {path} does not exist; options: {options}"
        )
    merged = OmegaConf.merge(OmegaConf.structured(DataConfig), OmegaConf.load(path))
    return OmegaConf.to_object(merged)  # type: ignore[return-value]


def producible_labels(mapping: LabelMapping, target: Taxonomy) -> tuple[str, ...]:
    """Target labels some source row can end up with, in target order."""
    produced = {label for targets in mapping.table.values() for label in targets}
    produced |= {
        rule for rule in (mapping.unmapped, mapping.unlabelled) if rule not in (DROP, KEEP_EMPTY)
    }
    return tuple(label for label in target.labels if label in produced)


def _load_one(name: str, data_dir: str | Path, target: Taxonomy, max_rows: int | None) -> EvalSet:
    cfg = data_config(name)
    cfg.read_splits = ["test"]
    corpus = load_corpus(cfg, str(data_dir))
    if "test" not in corpus.splits or len(corpus.splits["test"]) == 0:
        raise CorpusNotFoundError(f"{name}: the corpus has no test split")
    source_test = corpus.splits["test"]
    single_label = all(len(labels) == 1 for labels in source_test["labels"])
    mapping = load_mapping(cfg.source_taxonomy, target.name)
    mapped, stats = map_corpus(datasets.DatasetDict(test=source_test), mapping, target)
    test = sample_rows(mapped["test"], max_rows, SAMPLE_SEED)
    shared = producible_labels(mapping, target)
    report = corpus.report.to_dict()
    info: dict[str, Any] = {
        "source": name,
        "corpus": cfg.name,
        "source_taxonomy": cfg.source_taxonomy,
        "language": cfg.language,
        "rows": len(test),
        "source_rows": len(source_test),
        "single_label": single_label,
        "shared_labels": list(shared),
        "ignored_labels": [label for label in target.labels if label not in shared],
        "mapping": stats,
        "rows_skipped_by_loader": report.get("rows_skipped", 0),
    }
    return EvalSet(dataset=test, labels=shared, single_label=single_label, info=info)


def load_zero_shot_sets(
    names: Sequence[str],
    data_dir: str | Path,
    target_taxonomy: Taxonomy,
    max_rows: int | None = None,
    require_all: bool = False,
) -> dict[str, EvalSet | SkippedSet]:
    """Each named set's test split in `target_taxonomy`, or the reason it was skipped.

    An unknown option name is a config error and always raises; missing files raise only
    with `require_all`.
    """
    sets: dict[str, EvalSet | SkippedSet] = {}
    for name in names:
        try:
            sets[name] = _load_one(name, data_dir, target_taxonomy, max_rows)
        except (CorpusNotFoundError, FileNotFoundError, DataError) as error:
            reason = f"{type(error).__name__}: {error}"
            if require_all:
                raise ZeroShotSetError(
                    f"zero-shot set {name!r} could not be loaded ({reason}); "
                    "set eval.require_all=false to skip missing sets"
                ) from error
            log.warning("zero-shot set %s skipped: %s", name, reason)
            sets[name] = SkippedSet(reason=reason)
    return sets


NEUTRAL = "neutral"
CHANCE_NOTE = "the encoder was not pretrained on this language: figures are at chance level"


def evaluate_zero_shot(
    classifier: ProbabilityModel,
    cfg: EvalConfig,
    data_dir: str | Path,
    taxonomy: Taxonomy,
    thresholds: np.ndarray | None = None,
    *,
    training_corpus: tuple[str, str] | None = None,
    encoder_languages: Collection[str] | None = None,
    predictions_dir: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """`eval.zero_shot` loaded, mapped and scored: the `zero_shot` block of metrics.json.

    `training_corpus` is the (loader name, language) of the training data: that set is
    marked in-domain. `encoder_languages` are the languages the encoder was pretrained on;
    a set in another language is marked `trained_language: false` with a note. Each set's
    predictions are saved under `predictions_dir` when given.
    """
    sets = load_zero_shot_sets(
        cfg.zero_shot, data_dir, taxonomy, cfg.zero_shot_max_rows, cfg.require_all
    )
    without = (NEUTRAL,) if NEUTRAL in taxonomy.labels else ()
    results = evaluate(
        classifier, sets, taxonomy, thresholds, without=without, predictions_dir=predictions_dir
    )
    for name, result in results.items():
        if "skipped" in result and "source" not in result:
            continue
        language = str(result.get("language", ""))
        result["in_domain"] = training_corpus == (result.get("corpus"), language)
        if encoder_languages is not None:
            result["trained_language"] = language in encoder_languages
            if not result["trained_language"]:
                result["note"] = CHANCE_NOTE
                log.warning("zero-shot set %s (%s): %s", name, language, CHANCE_NOTE)
    return results
