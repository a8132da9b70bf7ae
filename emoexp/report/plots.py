"""The report's figures, as PNG files (matplotlib, Agg backend: no display needed).

Each function draws one figure from the jobs table and returns its path, or None when the
table has nothing to draw it from (a sweep without filter thresholds has no threshold plot).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from emoexp.report.stats import NONE_LEVEL, t_interval

LINGUISTIC_MEASURES = (
    "linguistic.{side}.overall.type_token_ratio",
    "linguistic.{side}.overall.mtld",
    "linguistic.{side}.overall.hapax_share",
    "linguistic.{side}.overall.first_person_rate",
    "linguistic.{side}.overall.temporal_per_100_tokens",
    "linguistic.{side}.overall.words_mean",
    "diversity.{side}.distinct_2",
    "diversity.{side}.self_bleu",
)
KEPT_COLUMNS = (
    "filter.kept",
    "filter.kept_rows",
    "filter.rows_kept",
    "filter.n_kept",
    "generation.kept",
)


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _label(value: object) -> str:
    return (
        NONE_LEVEL
        if value is None or (isinstance(value, float) and math.isnan(value))
        else str(value)
    )


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def plot_metric_vs(
    frame: pd.DataFrame, metric: str, x: str, hue: str | None, path: Path
) -> Path | None:
    """Mean of `metric` against a numeric swept key, one line per `hue` level, with the 95 %
    t-interval over the jobs at each point as a band."""
    data = frame.assign(_x=_numeric(frame[x])).dropna(subset=["_x", metric])
    if data["_x"].nunique() < 2:
        return None
    groups = data.groupby(data[hue].map(_label)) if hue else [("all", data)]
    fig, ax = plt.subplots(figsize=(6, 4))
    for level, group in groups:
        points = group.groupby("_x")[metric]
        xs = np.array(sorted(points.groups))
        means = np.array([points.get_group(v).mean() for v in xs])
        bands = np.array([t_interval(points.get_group(v).tolist()) for v in xs])
        ax.plot(xs, means, marker="o", label=str(level))
        if not np.all(np.isnan(bands)):
            ax.fill_between(xs, bands[:, 0], bands[:, 1], alpha=0.2)
    if data["_x"].min() > 0 and data["_x"].max() / data["_x"].min() >= 20:
        ax.set_xscale("log")  # seed sizes are usually swept on a log grid
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    if hue:
        ax.legend(title=hue)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def kept_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in KEPT_COLUMNS if c in frame.columns), None)


def plot_threshold_sweep(frame: pd.DataFrame, metric: str, x: str, path: Path) -> Path | None:
    """Metric and the number of synthetic rows the filter kept, against one filter threshold."""
    data = frame.assign(_x=_numeric(frame[x])).dropna(subset=["_x", metric])
    if data["_x"].nunique() < 2:
        return None
    summary = data.groupby("_x")[metric].agg(["mean", "std"]).sort_index()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(
        summary.index, summary["mean"], yerr=summary["std"].fillna(0), marker="o", color="C0"
    )
    ax.set_xlabel(x)
    ax.set_ylabel(metric, color="C0")
    kept = kept_column(frame)
    if kept:
        counts = data.groupby("_x")[kept].mean().sort_index()
        twin = ax.twinx()
        twin.plot(counts.index, counts.values, marker="s", linestyle="--", color="C1")
        twin.set_ylabel(f"{kept} (rows)", color="C1")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def per_class_columns(frame: pd.DataFrame, prefix: str = "test.per_class.") -> dict[str, str]:
    """{label: column} of one per-class statistic (columns `<prefix><label>.<stat>`): tuned F1
    first, then F1 at 0.5, then AP, else the first statistic seen."""
    pairs = [tuple(c[len(prefix) :].split(".", 1)) for c in frame.columns if c.startswith(prefix)]
    pairs = [p for p in pairs if len(p) == 2 and p[1] != "support"]
    if not pairs:
        return {}
    seen = {stat for _, stat in pairs}
    stat = next((s for s in ("f1@tuned", "f1@0.5", "f1", "ap") if s in seen), sorted(seen)[0])
    return {label: f"{prefix}{label}.{name}" for label, name in pairs if name == stat}


def plot_per_class(frame: pd.DataFrame, hue: str | None, path: Path) -> Path | None:
    """Per-class bars (mean over jobs), one bar group per class and one colour per hue level."""
    columns = per_class_columns(frame)
    if not columns:
        return None
    labels = sorted(columns)
    groups = list(frame.groupby(frame[hue].map(_label))) if hue else [("all jobs", frame)]
    width = 0.8 / len(groups)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels)), 4))
    for offset, (level, group) in enumerate(groups):
        values = [group[columns[label]].mean() for label in labels]
        ax.bar(np.arange(len(labels)) + offset * width, values, width, label=str(level))
    ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2, labels, rotation=45, ha="right")
    ax.set_ylabel(next(iter(columns.values())).split(".", 3)[-1])
    if hue:
        ax.legend(title=hue)
    return _save(fig, path)


def _arms(frame: pd.DataFrame, hue: str | None) -> list[tuple[str, pd.DataFrame]]:
    if hue and hue in frame:
        return [(str(level), group) for level, group in frame.groupby(frame[hue].map(_label))]
    return [("all jobs", frame)]


def _shares(frame: pd.DataFrame, columns: dict[str, str], labels: list[str]) -> np.ndarray:
    """Each job's label counts or shares normalised to sum to 1, then averaged over jobs: a
    multi-label row counts under each of its labels, so raw per-row shares sum above 1."""
    values = np.column_stack(
        [
            frame[columns[label]].fillna(0).to_numpy(float)
            if label in columns
            else np.zeros(len(frame))
            for label in labels
        ]
    )
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.full_like(values, np.nan), where=totals > 0)
    return np.nanmean(shares, axis=0) if np.isfinite(shares).any() else np.zeros(len(labels))


def plot_label_distribution(frame: pd.DataFrame, hue: str | None, path: Path) -> Path | None:
    """Share of label assignments per label: the real seed rows and each arm's synthetic
    rows, every bar group summing to 1."""
    prefix = "analysis.label_distribution."
    real = {c[len(prefix) + 5 :]: c for c in frame.columns if c.startswith(prefix + "real.")}
    synth = {c[len(prefix) + 10 :]: c for c in frame.columns if c.startswith(prefix + "synthetic.")}
    labels = sorted(set(real) | set(synth))
    if not labels or not synth:
        return None
    series = [("real", _shares(frame, real, labels))]
    for level, group in _arms(frame, hue):
        if group[list(synth.values())].notna().any().any():
            series.append((f"synthetic: {level}", _shares(group, synth, labels)))
    x = np.arange(len(labels))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels)), 4))
    for offset, (name, values) in enumerate(series):
        ax.bar(x + offset * width, values, width, label=name)
    ax.set_xticks(x + 0.4 - width / 2, labels, rotation=45, ha="right")
    ax.set_ylabel("share of label assignments")
    ax.legend(title=hue or None)
    return _save(fig, path)


def plot_linguistic(frame: pd.DataFrame, hue: str | None, path: Path) -> Path | None:
    """Small multiples: each linguistic and diversity measure for the real seed text and for
    each arm's synthetic text, so strategies can be told apart."""
    templates = {t.rsplit(".", 1)[-1]: t for t in LINGUISTIC_MEASURES}
    present = {
        name: template
        for name, template in templates.items()
        if "analysis." + template.format(side="synthetic") in frame
    }
    if not present:
        return None
    arms = [(level, group) for level, group in _arms(frame, hue)
            if group["analysis." + next(iter(present.values())).format(side="synthetic")]
            .notna().any()]  # fmt: skip
    ncols = 4
    nrows = math.ceil(len(present) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.8 * ncols, 2.6 * nrows), squeeze=False)
    for ax, (name, template) in zip(axes.flat, present.items(), strict=False):
        real_col = "analysis." + template.format(side="real")
        synth_col = "analysis." + template.format(side="synthetic")
        names = ["real"] + [str(level) for level, _ in arms]
        values = [frame[real_col].mean() if real_col in frame else np.nan]
        values += [group[synth_col].mean() for _, group in arms]
        ax.bar(names, values, color=[f"C{i}" for i in range(len(names))])
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    for ax in list(axes.flat)[len(present) :]:
        ax.axis("off")
    fig.suptitle(f"real seed text vs synthetic text per {hue or 'sweep'} (mean over jobs)")
    return _save(fig, path)
