"""One report section per protocol question, and the tests they run.

Every test a section runs is appended to `ReportContext.tests` as a plain record (the rows of
report.json); Holm's correction is applied over all of them once every section is built, so
the tables show raw and adjusted p-values of the same family. Warnings (too few seeds, too
few kept synthetic rows, a p-value the test can never reach) are written beside the table
they qualify and collected for report.json.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import f1_score

from emoexp.evaluation.predictions import Predictions, load_predictions, predictions_path
from emoexp.report.collect import swept_keys
from emoexp.report.config import Question, ReportConfig
from emoexp.report.instance_tests import PairedRun, mcnemar_pooled, randomization_test
from emoexp.report.stats import (
    NONE_LEVEL,
    TARGET_POWER,
    _level_order,
    _levels,
    group_summary,
    holm,
    paired_comparisons,
    pairs_needed,
)

SEED_KEY = "seed"
KEPT_COLUMN = "filter.kept_rows"
TRAIN_ROWS_COLUMN = "train.rows"
# a class is rare when it holds less than this share of the source's training labels
RARE_SHARE = 0.05
NEUTRAL = "neutral"
LINGUISTIC = (
    "mtld", "type_token_ratio", "hapax_share", "first_person_rate",
    "texts_with_first_person", "temporal_per_100_tokens", "texts_with_temporal", "words_mean",
)  # fmt: skip
ZERO_SHOT_MEASURES = ("ap_micro", "lrap", "auroc_micro")


@dataclass
class Block:
    """One piece of the page: a heading, a paragraph, a table, an image, preformatted text, or
    a table of test records (rendered once Holm's correction is known)."""

    kind: str
    content: Any
    caption: str = ""


@dataclass
class ReportContext:
    frame: pd.DataFrame
    metric: str
    settings: ReportConfig
    out_dir: Path
    tests: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def job_dir(self, job: str) -> Path:
        root = Path(self.frame.attrs.get("source", "."))
        return root / job if (root / job).is_dir() else root

    def usable(self, metric: str | None = None) -> pd.DataFrame:
        frame = self.frame[self.frame["status"] != "failed"]
        metric = metric or self.metric
        return frame[frame[metric].notna()] if metric in frame else frame.iloc[0:0]

    def warn(self, text: str) -> Block:
        self.warnings.append(text)
        return Block("p", f"⚠ {text}")


def finish_tests(ctx: ReportContext) -> None:
    """Holm over every test of the report; `significant` at the experiment's alpha."""
    adjusted = holm([record["p"] for record in ctx.tests])
    for record, value in zip(ctx.tests, adjusted, strict=True):
        record["p_adjusted"] = float(value)
        record["significant"] = bool(value < ctx.settings.alpha) if not math.isnan(value) else None


def tests_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    columns = [
        "level", "metric", "held", "a", "b", "n", "test", "statistic", "effect", "ci_low",
        "ci_high", "p", "p_exact", "p_adjusted", "significant", "power",
    ]  # fmt: skip
    frame = pd.DataFrame(records)
    return frame[[c for c in columns if c in frame.columns]] if not frame.empty else frame


def _held(keys: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)) or "(all jobs)"


# ---------------------------------------------------------------- seed-level tests


def seed_tests(
    ctx: ReportContext, metric: str, factor: str, within: Sequence[str] = ()
) -> list[Block]:
    """Paired tests over seeds between every two levels of `factor`, one per stratum."""
    usable = ctx.usable(metric)
    if factor not in usable or usable.empty:
        return []
    pair_on = [k for k in swept_keys(ctx.frame) if k != factor and k not in within]
    if SEED_KEY not in pair_on and SEED_KEY in usable:
        pair_on.append(SEED_KEY)
    table = paired_comparisons(
        usable, metric, factor, pair_on, within, ctx.settings.alpha, ctx.settings.min_effect
    )
    if table.empty:
        return []
    records = []
    blocks: list[Block] = []
    alpha = ctx.settings.alpha
    for row in table.to_dict("records"):
        held = _held(within, [row[k] for k in within])
        t_defined = not math.isnan(row["p_t"])
        record = {
            "level": "seed",
            "metric": metric,
            "factor": factor,
            "held": held,
            "a": str(row["a"]),
            "b": str(row["b"]),
            "n": int(row["n"]),
            "test": "paired t over seeds" if t_defined else "sign-flip permutation (exact)",
            "statistic": row["t"],
            "effect": row["mean_diff"],
            "effect_name": "mean difference a - b",
            "d_z": row["d_z"],
            "ci_low": row["ci_low"],
            "ci_high": row["ci_high"],
            "p": row["p_t"] if t_defined else row["p_sign_flip"],
            "p_exact": row["p_sign_flip"],
            "exact_test": "sign-flip permutation (exact)",
            "power": row["power_at_min_effect"],
            "min_effect": ctx.settings.min_effect,
        }
        where = f"{factor} {row['a']} vs {row['b']} ({held}, {metric})"
        if row["n"] < 2:  # not a test: left out of the table and of Holm's family
            blocks.append(
                ctx.warn(f"{where}: {int(row['n'])} matched seed(s); no seed-level test possible.")
            )
            continue
        records.append(record)
        if row["min_p_sign_flip"] > alpha:
            blocks.append(
                ctx.warn(
                    f"{where}: with {int(row['n'])} seeds the exact sign-flip test cannot go "
                    f"below p = {row['min_p_sign_flip']:.3g} > alpha = {alpha:g}; "
                    f"{pairs_needed(alpha)} seeds are needed (the paired t p-value rests on "
                    "normally distributed seed differences)."
                )
            )
        power = row["power_at_min_effect"]
        if not math.isnan(power) and power < TARGET_POWER:
            blocks.append(
                ctx.warn(
                    f"{where}: underpowered: power {power:.2f} to detect a difference of "
                    f"{ctx.settings.min_effect:g} (SD of the seed differences "
                    f"{abs(row['mean_diff'] / row['d_z']) if row['d_z'] else float('nan'):.3g}); "
                    f"about {int(row['pairs_needed'])} seeds would give {TARGET_POWER:.0%}."
                )
            )
    ctx.tests.extend(records)
    return [Block("tests", records), *blocks] if records else blocks


# ------------------------------------------------------------- per-example tests


def _load(ctx: ReportContext, job: str, set_name: str) -> Predictions | None:
    path = predictions_path(ctx.job_dir(job), set_name)
    return load_predictions(path) if path.is_file() else None


def matched_jobs(
    ctx: ReportContext, factor: str, within: Sequence[str], metric: str
) -> list[tuple[tuple, Any, Any, list[tuple[str, str]]]]:
    """(stratum, a, b, [(job of a, job of b) per matched seed]) for every pair of levels."""
    usable = ctx.usable(metric).copy()
    if factor not in usable or usable.empty:
        return []
    keys = [k for k in swept_keys(ctx.frame) if k != factor and k not in within]
    if SEED_KEY not in keys and SEED_KEY in usable:
        keys.append(SEED_KEY)
    for key in (factor, *within, *keys):
        usable[key] = _levels(usable[key])
    out = []
    strata = usable.groupby(list(within), sort=False) if within else [((), usable)]
    for stratum, subset in strata:
        stratum = stratum if isinstance(stratum, tuple) else (stratum,)
        levels = sorted(subset[factor].unique(), key=_level_order)
        for i, a in enumerate(levels):
            for b in levels[i + 1 :]:
                left = subset[subset[factor] == a].groupby(keys, sort=True)["job"].first()
                right = subset[subset[factor] == b].groupby(keys, sort=True)["job"].first()
                both = left.index.intersection(right.index)
                out.append((stratum, a, b, [(left[k], right[k]) for k in both]))
    out.sort(key=lambda item: [_level_order(v) for v in item[0]])
    return out


def example_tests(
    ctx: ReportContext,
    factor: str,
    within: Sequence[str] = (),
    set_name: str = "test",
    metrics: Sequence[str] = ("ap_micro",),
    mcnemar: bool = False,
) -> list[Block]:
    """Per-example paired tests from saved predictions, combined over matched seeds."""
    records: list[dict[str, Any]] = []
    missing = 0
    for stratum, a, b, jobs in matched_jobs(ctx, factor, within, ctx.metric):
        runs, correct_a, correct_b = [], [], []
        for job_a, job_b in jobs:
            pred_a, pred_b = _load(ctx, job_a, set_name), _load(ctx, job_b, set_name)
            if pred_a is None or pred_b is None or not np.array_equal(pred_a.ids, pred_b.ids):
                missing += 1
                continue
            runs.append(
                PairedRun(
                    pred_a.probs, pred_b.probs, pred_a.gold, pred_a.thresholds, pred_b.thresholds
                )
            )
            correct_a.append(_top1_correct(pred_a))
            correct_b.append(_top1_correct(pred_b))
        if not runs:
            continue
        held = _held(within, stratum)
        base = {"level": "example", "factor": factor, "held": held, "a": str(a), "b": str(b)}
        for name in metrics:
            result = randomization_test(
                runs, name, ctx.settings.instance_resamples, seed=len(ctx.tests) + len(records)
            )
            records.append(
                {
                    **base,
                    "metric": f"{set_name}.{name}",
                    "n": int(result["rows"]),
                    "seeds": len(runs),
                    "test": "approximate randomisation over rows, combined over seeds",
                    "statistic": result["statistic"],
                    "effect": result["statistic"],
                    "effect_name": "mean over seeds of metric(a) - metric(b)",
                    "ci_low": result["ci_low"],
                    "ci_high": result["ci_high"],
                    "p": result["p"],
                }
            )
        if mcnemar:
            result = mcnemar_pooled(correct_a, correct_b)
            records.append(
                {
                    **base,
                    "metric": f"{set_name}.accuracy",
                    "n": int(result["rows"]),
                    "seeds": len(runs),
                    "test": "McNemar exact, discordant rows pooled over seeds",
                    "statistic": result["only_a"] - result["only_b"],
                    "effect": result["statistic"],
                    "effect_name": "accuracy(a) - accuracy(b)",
                    "ci_low": math.nan,
                    "ci_high": math.nan,
                    "p": result["p"],
                    "only_a": result["only_a"],
                    "only_b": result["only_b"],
                }
            )
    blocks: list[Block] = []
    if missing:
        blocks.append(
            ctx.warn(
                f"{missing} matched job pair(s) lacked predictions/{set_name}.npz (or scored "
                "different rows) and are left out of the per-example tests."
            )
        )
    if not records:
        return blocks
    ctx.tests.extend(records)
    note = Block(
        "p",
        "Per-example tests condition on the trained models: they show the two models differ "
        "on these test rows, not that retraining would reproduce it (the seed-level tests ask "
        "that).",
    )
    return [note, Block("tests", records), *blocks]


def _config_value(job_dir: Path, dotted: str) -> str:
    """One value of a job's resolved config.yaml ('' when absent)."""
    path = job_dir / "config.yaml"
    node: Any = yaml.safe_load(path.read_text()) if path.is_file() else {}
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return "" if node is None else str(node)


def _top1_correct(pred: Predictions) -> np.ndarray:
    picked = pred.probs.argmax(axis=1)
    return pred.gold[np.arange(len(picked)), picked]


# ------------------------------------------------------------------ shared pieces


def summary_block(ctx: ReportContext, metric: str, by: Sequence[str]) -> list[Block]:
    usable = ctx.usable(metric)
    if usable.empty:
        return [Block("p", f"No completed job reported {metric}.")]
    return [
        Block("p", f"{metric}: mean and 95 % t-interval over seeds (n jobs)."),
        Block("table", group_summary(usable, metric, list(by))),
    ]


def kept_rows_warnings(ctx: ReportContext, factor: str) -> list[Block]:
    """Arms whose jobs kept fewer synthetic rows than the report's minimum."""
    usable = ctx.usable()
    if KEPT_COLUMN not in usable or factor not in usable:
        return []
    blocks = []
    arms = usable.groupby(_levels(usable[factor]))
    for level, group in arms:
        kept = group[KEPT_COLUMN].dropna()
        if kept.empty or level == "none":
            continue
        train = group[TRAIN_ROWS_COLUMN].mean() if TRAIN_ROWS_COLUMN in group else math.nan
        if kept.mean() < ctx.settings.min_kept_rows:
            blocks.append(
                ctx.warn(
                    f"{factor}={level}: its jobs kept {kept.min():.0f}-{kept.max():.0f} "
                    f"synthetic rows (mean {kept.mean():.1f}) beside about "
                    f"{train - kept.mean():.0f} real training rows: below the "
                    f"{ctx.settings.min_kept_rows} rows this report asks for, so this arm "
                    "barely differs from real data only and cannot answer the question."
                )
            )
    return blocks


def _mean_by(frame: pd.DataFrame, by: str, columns: dict[str, str]) -> pd.DataFrame:
    present = {name: col for name, col in columns.items() if col in frame}
    if not present or by not in frame:
        return pd.DataFrame()
    grouped = frame.assign(**{by: _levels(frame[by])}).groupby(by, sort=False)
    table = pd.DataFrame({name: grouped[col].mean() for name, col in present.items()})
    table.insert(0, "jobs", grouped.size())
    table = table.reset_index()
    return table.iloc[sorted(range(len(table)), key=lambda i: _level_order(table[by].iloc[i]))]


def linguistic_table(ctx: ReportContext, factor: str) -> pd.DataFrame:
    """Linguistic measures of the real seed text and of each arm's synthetic text."""
    frame = ctx.frame[ctx.frame["status"] != "failed"]
    real = {m: f"analysis.linguistic.real.overall.{m}" for m in LINGUISTIC}
    synth = {m: f"analysis.linguistic.synthetic.overall.{m}" for m in LINGUISTIC}
    table = _mean_by(frame, factor, synth)
    if table.empty:
        return table
    table.insert(1, "text", "synthetic")
    real_row = {"text": "real (seed)", factor: "-", "jobs": int(frame[real["mtld"]].notna().sum())}
    real_row.update({m: frame[c].mean() for m, c in real.items() if c in frame})
    return pd.concat([pd.DataFrame([real_row]), table], ignore_index=True)


def rare_classes(frame: pd.DataFrame) -> set[str]:
    """Classes under RARE_SHARE of the source's training labels (data.mapping counts)."""
    prefix = "data.mapping.splits.train.label_counts."
    counts = {c[len(prefix) :]: frame[c].mean() for c in frame.columns if c.startswith(prefix)}
    total = sum(v for v in counts.values() if not math.isnan(v))
    return {label for label, v in counts.items() if total and v / total < RARE_SHARE}


def per_class_gain(
    ctx: ReportContext, factor: str, baseline: str, within: str | None, stat: str = "ap"
) -> pd.DataFrame:
    """Per class: mean per-class `stat` of each arm minus the baseline arm's, per stratum."""
    frame = ctx.usable()
    prefix = "test.per_class."
    columns = {
        c[len(prefix) : -len(stat) - 1]: c
        for c in frame.columns
        if c.startswith(prefix) and c.endswith("." + stat)
    }
    if not columns or factor not in frame:
        return pd.DataFrame()
    rare = rare_classes(frame)
    levels = _levels(frame[factor])
    strata = sorted(frame[within].dropna().unique(), key=_level_order) if within else [None]
    rows = []
    for stratum in strata:
        subset = frame if stratum is None else frame[frame[within] == stratum]
        arm_levels = levels.loc[subset.index]
        base = subset[arm_levels == baseline]
        if base.empty:
            continue
        for level in sorted(arm_levels.unique(), key=_level_order):
            if level == baseline:
                continue
            arm = subset[arm_levels == level]
            row: dict[str, Any] = {} if within is None else {within: stratum}
            row[factor] = f"{level} - {baseline}"
            for label, column in sorted(columns.items()):
                name = f"{label} (rare)" if label in rare else label
                row[name] = arm[column].mean() - base[column].mean()
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the sections


def _arm_factor(ctx: ReportContext) -> str:
    """The swept key that names each arm: `arm` where the experiment sweeps arms (strategy
    and regime in one name), else the generation strategy."""
    return "arm" if "arm" in swept_keys(ctx.frame) else "gen"


def keyword_provenance(ctx: ReportContext) -> Block:
    """Which model the SHAP keywords explain, which one judged label consistency, and how far
    the fast surrogate's keywords agree with the explained classifier's: a judge sharing the
    prompter's model would pass its own keywords."""
    usable = ctx.usable()
    first = ctx.job_dir(str(usable["job"].iloc[0])) if not usable.empty else None
    method = _config_value(first, "explain.method") if first else ""
    scorer = _config_value(first, "filter.label_consistency.scorer") if first else ""
    agreement = "explain.surrogate_agreement.mean_jaccard"
    text = (
        f"Keywords: {method or 'unknown'} SHAP explainer; label consistency judged by: "
        f"{scorer or 'unknown'} scorer (encoder: E5 sentence embeddings with a logistic "
        "regression per label fitted on the seed rows, a model other than the one explained; "
        "tfidf: the TF-IDF surrogate itself)."
    )
    if agreement in usable and usable[agreement].notna().any():
        text += (
            " Keywords of the TF-IDF surrogate against the explained classifier's: mean "
            f"Jaccard {usable[agreement].mean():.3g} over the classes."
        )
    return Block("p", text)


def section_shap_vs_naive(ctx: ReportContext) -> list[Block]:
    factor, size = _arm_factor(ctx), "data.seed_size"
    within = [size] if size in swept_keys(ctx.frame) else []
    blocks = [
        Block("h2", "Does SHAP-guided generation beat naive generation, at which seed sizes?"),
        keyword_provenance(ctx),
        *summary_block(ctx, ctx.metric, [factor, *within]),
        *kept_rows_warnings(ctx, factor),
        Block("h3", f"Paired tests over seeds, one per seed size ({ctx.metric})"),
        *seed_tests(ctx, ctx.metric, factor, within),
        Block("h3", "Per-example paired tests on the test split (AP-micro, top-1 accuracy)"),
        *example_tests(ctx, factor, within, "test", ("ap_micro",), mcnemar=True),
    ]
    gains = per_class_gain(ctx, factor, "none", within[0] if within else None)
    blocks.append(Block("h3", "Per-class AP gain over gen=none (rare: under 5 % of the labels)"))
    blocks.append(
        Block("table", gains) if not gains.empty else Block("p", "No gen=none jobs to compare.")
    )
    blocks += [
        Block("h3", "Synthetic text against real text, per strategy"),
        Block(
            "p",
            "MTLD (lexicalrichness), type-token ratio, hapax share, first-person pronouns and "
            "temporal expressions per 100 tokens; real = the seed rows the jobs drew.",
        ),
        Block("table", linguistic_table(ctx, factor)),
    ]
    return blocks


def section_persona_ablation(ctx: ReportContext) -> list[Block]:
    factor = "gen.persona.stages"
    if factor not in ctx.frame:
        factor = next(iter(k for k in swept_keys(ctx.frame) if k != SEED_KEY), "gen")
    columns = {
        ctx.metric: ctx.metric,
        "kept rows": KEPT_COLUMN,
        "distinct-2": "analysis.diversity.synthetic.distinct_2",
        "self-BLEU": "analysis.diversity.synthetic.self_bleu",
        "cluster entropy": "analysis.diversity.synthetic.cluster_entropy",
        "MAUVE": "analysis.realism.mauve",
        "Fréchet": "analysis.realism.frechet_distance",
        "real-vs-synth AUC": "analysis.realism.two_sample_auc",
        "judge synthetic": "analysis.judge.synthetic.mean_score",
        "judge real": "analysis.judge.real.mean_score",
    }
    table = _mean_by(ctx.frame[ctx.frame["status"] != "failed"], factor, columns)
    frame = ctx.frame
    real_refs = {
        "distinct-2 (real)": "analysis.diversity.real.distinct_2",
        "self-BLEU (real)": "analysis.diversity.real.self_bleu",
        "cluster entropy (real)": "analysis.diversity.real.cluster_entropy",
    }
    reference = ", ".join(
        f"{name} {frame[col].mean():.3g}" for name, col in real_refs.items() if col in frame
    )
    unmeasured = (
        [
            ctx.warn(
                "Diversity and realism were not measured in any job: the analysis needs at least "
                "4 kept synthetic rows per job (see the kept rows column)."
            )
        ]
        if not any(c.startswith(("analysis.diversity.", "analysis.realism.")) for c in frame)
        else []
    )
    return [
        Block("h2", "Which persona stages make synthetic text more diverse, realistic, useful?"),
        Block(
            "p",
            "Per arm, means over its jobs: diversity (distinct-2, self-BLEU via sacrebleu, "
            "cluster entropy of the sentence embeddings), realism (MAUVE via mauve-text, "
            "Fréchet distance, real-vs-synthetic classifier AUC: 0.5 = indistinguishable) and "
            "the LLM judge's human-likeness (1-10) of synthetic text, with its score of real "
            "text as calibration." + (f" Real text: {reference}." if reference else ""),
        ),
        Block("table", table) if not table.empty else Block("p", "No job reported analysis."),
        *unmeasured,
        *kept_rows_warnings(ctx, factor),
        Block("h3", f"Paired tests over seeds ({ctx.metric})"),
        *seed_tests(ctx, ctx.metric, factor),
        Block("h3", "Per-example paired tests on the test split"),
        *example_tests(ctx, factor, (), "test", ("ap_micro",), mcnemar=True),
    ]


def single_label_figures(pred: Predictions, benchmark: str) -> dict[str, float]:
    """Accuracy and weighted F1 of the arg-max label (sklearn), and the benchmark's customary
    figure: micro-F1 without the neutral class for DailyDialog, weighted F1 otherwise."""
    has_gold = pred.gold.any(axis=1)
    gold = pred.gold[has_gold].argmax(axis=1)
    picked = pred.probs[has_gold].argmax(axis=1)
    labels = list(range(len(pred.labels)))
    figures = {
        "accuracy": float(np.mean(gold == picked)) if len(gold) else math.nan,
        "f1_weighted": float(
            f1_score(gold, picked, labels=labels, average="weighted", zero_division=0)
        ),
    }
    if "dailydialog" in benchmark and NEUTRAL in pred.labels:
        keep = [i for i, name in enumerate(pred.labels) if name != NEUTRAL]
        figures["customary"] = float(
            f1_score(gold, picked, labels=keep, average="micro", zero_division=0)
        )
        figures["customary_name"] = "micro-F1 without neutral"  # type: ignore[assignment]
    else:
        figures["customary"] = figures["f1_weighted"]
        figures["customary_name"] = "weighted F1"  # type: ignore[assignment]
    per_class = f1_score(gold, picked, labels=labels, average=None, zero_division=0)
    for name, value in zip(pred.labels, per_class, strict=True):
        figures[f"f1.{name}"] = float(value)
    return figures


def section_erc_supplement(ctx: ReportContext) -> list[Block]:
    factor, bench = "gen", "data"
    within = [bench] if bench in ctx.frame else []
    rows: list[dict[str, Any]] = []
    imbalance: list[dict[str, Any]] = []
    for job in ctx.usable()["job"]:
        pred = _load(ctx, job, "test")
        if pred is None:
            continue
        benchmark = (
            str(ctx.frame.loc[ctx.frame["job"] == job, bench].iloc[0])
            if within
            else _config_value(ctx.job_dir(job), "data.name")
        )
        figures = single_label_figures(pred, benchmark)
        rows.append({"job": job, **{f"pred.{k}": v for k, v in figures.items()}})
        shares = pred.gold.mean(axis=0)
        imbalance.append(
            {
                **({bench: benchmark} if within else {}),
                **dict(zip(pred.labels, shares, strict=True)),
            }
        )
    blocks = [Block("h2", "Do synthetic dialogues help the conversation benchmarks?")]
    if not rows:
        return [*blocks, ctx.warn("No job saved predictions/test.npz: nothing to score.")]
    figures = pd.DataFrame(rows)
    names = figures.pop("pred.customary_name") if "pred.customary_name" in figures else None
    attrs = dict(ctx.frame.attrs)  # merge drops them; they name the source and override keys
    ctx.frame = ctx.frame.merge(figures, on="job", how="left")
    ctx.frame.attrs.update(attrs)
    customary = (
        ", ".join(sorted({str(n) for n in names.dropna()})) if names is not None else "weighted F1"
    )
    blocks.append(
        Block(
            "p",
            "Scored from each job's saved test predictions (arg-max label, sklearn): accuracy, "
            f"weighted F1 and each benchmark's customary figure ({customary}; DailyDialog's is "
            "micro-F1 without the neutral class).",
        )
    )
    for column in ("pred.accuracy", "pred.f1_weighted", "pred.customary"):
        blocks += summary_block(ctx, column, [*within, factor])
    blocks.append(Block("h3", "Per-class F1 gain over gen=none"))
    table = _per_class_from_pred(ctx, factor, within)
    blocks.append(Block("table", table) if not table.empty else Block("p", "No gen=none jobs."))
    blocks += [
        Block("h3", "Label imbalance of each test set (share of rows per label)"),
        Block("table", pd.DataFrame(imbalance).groupby(bench).mean().reset_index())
        if within
        else Block("table", pd.DataFrame(imbalance).mean().to_frame().T),
        *kept_rows_warnings(ctx, factor),
        Block("h3", "Paired tests over seeds (accuracy, weighted F1)"),
        *seed_tests(ctx, "pred.accuracy", factor, within),
        *seed_tests(ctx, "pred.f1_weighted", factor, within),
        Block("h3", "Per-utterance paired tests (McNemar on accuracy, randomisation on F1)"),
        *example_tests(ctx, factor, within, "test", ("f1_micro",), mcnemar=True),
    ]
    return blocks


def _per_class_from_pred(ctx: ReportContext, factor: str, within: list[str]) -> pd.DataFrame:
    frame = ctx.frame[ctx.frame["status"] != "failed"]
    columns = [c for c in frame.columns if c.startswith("pred.f1.")]
    if not columns or factor not in frame:
        return pd.DataFrame()
    levels = _levels(frame[factor])
    rows = []
    groups = frame.groupby(within) if within else [((), frame)]
    for stratum, subset in groups:
        stratum = stratum if isinstance(stratum, tuple) else (stratum,)
        base = subset[levels.loc[subset.index] == "none"]
        if base.empty:
            continue
        for level in sorted(levels.loc[subset.index].unique(), key=_level_order):
            if level == "none":
                continue
            arm = subset[levels.loc[subset.index] == level]
            row = {**dict(zip(within, stratum, strict=True)), factor: f"{level} - none"}
            for column in columns:
                if arm[column].notna().any():
                    row[column[len("pred.f1.") :]] = arm[column].mean() - base[column].mean()
            rows.append(row)
    return pd.DataFrame(rows)


SYNTHETIC_TEST_MEASURES = ("f1_micro@0.5", "auroc_micro", "ap_micro", "lrap")


def _means_per_setting(
    frame: pd.DataFrame, keys: Sequence[str], columns: dict[str, str]
) -> pd.DataFrame:
    """One row per setting of the swept keys: its job count and the mean of each column
    (name -> frame column)."""
    grouped = frame.assign(**{k: _levels(frame[k]) for k in keys}).groupby(list(keys), sort=True)
    table = pd.DataFrame({name: grouped[c].mean() for name, c in columns.items()}).reset_index()
    table.insert(len(keys), "jobs", grouped.size().to_numpy())
    return table


def _synthetic_test_table(frame: pd.DataFrame, keys: Sequence[str]) -> list[Block]:
    """The paper's in-domain table: each encoder on the held-out part of its own
    synthetic data (F1-micro, AUC-micro), beside the zero-shot figures."""
    present = {
        m: f"synthetic_test.{m}" for m in SYNTHETIC_TEST_MEASURES if f"synthetic_test.{m}" in frame
    }
    if not present or not keys:
        return []
    if "synthetic_test.n_samples" in frame:
        present = {"test rows": "synthetic_test.n_samples", **present}
    table = _means_per_setting(frame, keys, present)
    return [
        Block("h3", "In-domain: the held-out synthetic test per encoder"),
        Block(
            "p",
            "Mean over seeds, on the held-out part of each job's own kept synthetic rows. "
            "Jobs with another language set or threshold hold out other rows, so compare "
            "encoders within one setting.",
        ),
        Block("table", table),
    ]


def section_multilingual_scale(ctx: ReportContext) -> list[Block]:
    frame = ctx.frame[ctx.frame["status"] != "failed"]
    sets = sorted(
        {c.split(".")[1] for c in frame.columns if c.startswith("zero_shot.") and c.count(".") >= 2}
    )
    keys = [k for k in swept_keys(ctx.frame) if k != SEED_KEY]
    blocks = [
        Block("h2", "Zero-shot transfer per encoder, language set and filter threshold"),
        Block(
            "p",
            "Mean over seeds. 'without neutral' scores the same predictions on the emotion "
            "classes only. A set in a language the classifier was not trained on is marked "
            "'(zero-shot language)'; one from another domain is marked '(out of domain)'.",
        ),
    ]
    blocks += _synthetic_test_table(frame, keys)
    if not sets:
        return [*blocks, ctx.warn("No job reported zero_shot.<set> figures.")]
    for name in sets:
        columns = {m: f"zero_shot.{name}.{m}" for m in ZERO_SHOT_MEASURES}
        columns.update(
            {
                f"{m} w/o neutral": f"zero_shot.{name}.without_neutral.{m}"
                for m in ZERO_SHOT_MEASURES
            }
        )
        present = {k: v for k, v in columns.items() if v in frame}
        if not present:
            continue
        table = _means_per_setting(frame, keys, present)
        marks = []
        trained = f"zero_shot.{name}.trained_language"
        in_domain = f"zero_shot.{name}.in_domain"
        if trained in frame and (frame[trained] == 0).any():
            marks.append("zero-shot language")
        if in_domain in frame and (frame[in_domain] == 0).any():
            marks.append("out of domain")
        title = name + (f" ({', '.join(marks)})" if marks else "")
        blocks += [Block("h3", title), Block("table", table)]
        for factor in keys:
            others = [k for k in keys if k != factor]
            blocks += example_tests(ctx, factor, others, f"zero_shot.{name}", ("ap_micro",))
    return blocks


def _shift(frame: pd.DataFrame) -> pd.Series:
    """Total variation distance between the real and the kept synthetic label shares."""
    real = {
        c.rsplit(".", 1)[-1]: c for c in frame if c.startswith("analysis.label_distribution.real.")
    }
    synth = {
        c.rsplit(".", 1)[-1]: c
        for c in frame
        if c.startswith("analysis.label_distribution.synthetic.")
    }
    if not synth:
        before = {
            c.rsplit(".", 1)[-1]: c
            for c in frame
            if c.startswith("filter.label_distribution.before.")
        }
        after = {
            c.rsplit(".", 1)[-1]: c
            for c in frame
            if c.startswith("filter.label_distribution.after.")
        }
        real, synth = before, after
    labels = sorted(set(real) | set(synth))
    if not labels:
        return pd.Series(np.nan, index=frame.index)

    def shares(columns: dict[str, str]) -> np.ndarray:
        values = np.column_stack(
            [
                frame[columns[label]].fillna(0) if label in columns else np.zeros(len(frame))
                for label in labels
            ]
        ).astype(float)
        totals = values.sum(axis=1, keepdims=True)
        return np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)

    return pd.Series(0.5 * np.abs(shares(real) - shares(synth)).sum(axis=1), index=frame.index)


def section_filter_sensitivity(ctx: ReportContext) -> list[Block]:
    keys = [k for k in swept_keys(ctx.frame) if k.startswith("filter.")]
    frame = ctx.frame[ctx.frame["status"] != "failed"].copy()
    frame["label_shift"] = _shift(frame)
    blocks = [
        Block("h2", "How do the filter thresholds change what is kept and what is learnt?"),
        Block(
            "p",
            "Per threshold setting, means over its jobs: synthetic rows kept, the label "
            "distribution shift of the kept rows (total variation distance to the real "
            "seed rows' label shares; 0 = same shares) and the main metric.",
        ),
    ]
    if not keys:
        return [*blocks, ctx.warn("No filter.* key was swept.")]
    grouped = frame.assign(**{k: _levels(frame[k]) for k in keys}).groupby(keys, sort=True)
    table = pd.DataFrame(
        {
            "jobs": grouped.size(),
            "kept rows": grouped[KEPT_COLUMN].mean() if KEPT_COLUMN in frame else np.nan,
            "label shift (TVD)": grouped["label_shift"].mean(),
            ctx.metric: grouped[ctx.metric].mean() if ctx.metric in frame else np.nan,
        }
    ).reset_index()
    blocks.append(Block("table", table))
    for key in keys:
        others = [k for k in keys if k != key]
        blocks += [
            Block("h3", f"{key}: paired tests over seeds and per example"),
            *seed_tests(ctx, ctx.metric, key, others),
            *example_tests(ctx, key, others, "test", ("ap_micro",)),
        ]
    return blocks


def section_generic(ctx: ReportContext) -> list[Block]:
    factors = [k for k in swept_keys(ctx.frame) if k != SEED_KEY]
    blocks: list[Block] = [Block("h2", f"Paired tests on {ctx.metric}")]
    if not factors:
        return [*blocks, Block("p", "No swept factor to compare.")]
    for factor in factors:
        others = [k for k in factors if k != factor]
        blocks += [
            Block("h3", f"{factor} (within each setting of {', '.join(others) or 'the sweep'})"),
            *seed_tests(ctx, ctx.metric, factor, others),
            *example_tests(ctx, factor, others, "test", ("ap_micro",)),
        ]
    return blocks


SECTIONS = {
    Question.generic: section_generic,
    Question.shap_vs_naive: section_shap_vs_naive,
    Question.persona_ablation: section_persona_ablation,
    Question.erc_supplement: section_erc_supplement,
    Question.multilingual_scale: section_multilingual_scale,
    Question.filter_sensitivity: section_filter_sensitivity,
}


def question_of(name: str) -> Question:
    try:
        return Question(name)
    except ValueError:
        options = ", ".join(q.value for q in Question)
        raise ValueError(f"report.question {name!r} is not one of {options}") from None


def level_label(value: Any) -> str:
    return NONE_LEVEL if value is None else str(value)
