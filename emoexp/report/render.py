"""One page per sweep: the jobs, what failed and why, the best configurations, which
differences are significant, and the figures; as Markdown (and optionally HTML)."""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from emoexp.report import plots
from emoexp.report.collect import (
    CONFIG_FILE,
    ReportError,
    collect_jobs,
    iter_metric_columns,
    override_keys,
    swept_keys,
)
from emoexp.report.config import ReportConfig
from emoexp.report.questions import (
    KEPT_COLUMN,
    SECTIONS,
    TRAIN_ROWS_COLUMN,
    Block,
    ReportContext,
    finish_tests,
    question_of,
    tests_frame,
)
from emoexp.report.stats import group_summary

DEFAULT_METRIC = "test.ap_micro"
SEED_KEY = "seed"
# metrics where a smaller value is the better one
LOWER_IS_BETTER = re.compile(
    r"(loss|hamming|ece|brier|error|frechet|two_sample_auc|self_bleu|seconds|duration)"
)
# bookkeeping numbers: counts, sizes, timings and spreads, never a configuration's quality
BOOKKEEPING = re.compile(
    r"(buckets|_std$|seconds|duration|rows|n_samples|support|clusters|texts$|tokens$|scored|"
    r"unparsable|failed|threshold|epochs|global_step|^data\.|^train\.|^thresholds\.)"
)
PREFERRED_HUE = ("gen", "model", "regime", "llm", "filter")
MAX_ERROR_CHARS = 400


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_(none)_"

    def cell(value: Any) -> str:
        return _fmt(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(c) for c in frame.columns) + " |",
        "|" + "|".join("---" for _ in frame.columns) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def to_markdown(blocks: list[Block]) -> str:
    parts = []
    for block in blocks:
        if block.kind == "h1":
            parts.append(f"# {block.content}")
        elif block.kind == "h2":
            parts.append(f"## {block.content}")
        elif block.kind == "h3":
            parts.append(f"### {block.content}")
        elif block.kind == "tests":
            parts.append(markdown_table(tests_frame(block.content)))
        elif block.kind == "p":
            parts.append(block.content)
        elif block.kind == "table":
            parts.append(markdown_table(block.content))
        elif block.kind == "img":
            parts.append(f"![{block.caption}]({block.content})")
        elif block.kind == "pre":
            parts.append("```\n" + block.content + "\n```")
    return "\n\n".join(parts) + "\n"


def to_html(blocks: list[Block], title: str) -> str:
    body = []
    for block in blocks:
        if block.kind == "tests":
            block = Block("table", tests_frame(block.content))
        if block.kind in ("h1", "h2", "h3"):
            body.append(f"<{block.kind}>{html.escape(block.content)}</{block.kind}>")
        elif block.kind == "p":
            body.append(f"<p>{html.escape(block.content)}</p>")
        elif block.kind == "table":
            body.append(block.content.map(_fmt).to_html(index=False, escape=True, border=0))
        elif block.kind == "img":
            body.append(
                f'<figure><img src="{html.escape(block.content)}" '
                f'alt="{html.escape(block.caption)}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
            )
        elif block.kind == "pre":
            body.append(f"<pre>{html.escape(block.content)}</pre>")
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse;font-size:13px}"
        "td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
        "img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def lower_is_better(metric: str) -> bool:
    return bool(LOWER_IS_BETTER.search(metric))


def key_metrics(frame: pd.DataFrame, metric: str) -> list[str]:
    """The chosen metric first, then the top-level test metrics and the same metric zero-shot."""
    columns = list(iter_metric_columns(frame))
    name = metric.split(".", 1)[-1]
    tests = [c for c in columns if c.startswith("test.") and not c.startswith("test.per_class.")]
    tests = [c for c in tests if c != "test.n_samples"]
    zero_shot = [
        c
        for c in columns
        if c.startswith("zero_shot.") and c.endswith("." + name) and ".per_class." not in c
    ]
    realism = [c for c in columns if c.startswith("analysis.realism.")]
    ordered = [metric, *tests, *zero_shot, *realism]
    ordered = [c for c in ordered if c == metric or not BOOKKEEPING.search(c)]
    return [c for i, c in enumerate(ordered) if c in frame.columns and c not in ordered[:i]]


def _factors(frame: pd.DataFrame) -> list[str]:
    return [key for key in swept_keys(frame) if key != SEED_KEY]


def _hue(factors: list[str], frame: pd.DataFrame, exclude: str) -> str | None:
    candidates = [f for f in factors if f != exclude]
    categorical = [f for f in candidates if pd.to_numeric(frame[f], errors="coerce").isna().any()]
    for preferred in PREFERRED_HUE:
        if preferred in categorical:
            return preferred
    return categorical[0] if categorical else (candidates[0] if candidates else None)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _usable(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return (
        frame[(frame["status"] != "failed") & frame[metric].notna()]
        if metric in frame
        else frame.iloc[0:0]
    )


def best_configurations(
    frame: pd.DataFrame, metrics: list[str], factors: list[str]
) -> pd.DataFrame:
    rows = []
    for metric in metrics:
        usable = _usable(frame, metric)
        if usable.empty:
            continue
        summary = group_summary(usable, metric, factors)
        if summary.empty:
            continue
        lower = lower_is_better(metric)
        best = summary.loc[summary["mean"].idxmin() if lower else summary["mean"].idxmax()]
        config = ", ".join(f"{f}={best[f]}" for f in factors) or "(single configuration)"
        rows.append(
            {
                "metric": metric,
                "goal": "min" if lower else "max",
                "best configuration": config,
                "mean": best["mean"],
                "95% CI (t)": f"[{_fmt(best['t_low'])}, {_fmt(best['t_high'])}]",
                "jobs": int(best["n"]),
            }
        )
    return pd.DataFrame(rows)


def _plots(frame: pd.DataFrame, metric: str, factors: list[str], plot_dir: Path) -> list[Path]:
    made: list[Path | None] = []
    usable = _usable(frame, metric)
    for factor in factors:
        numeric = pd.to_numeric(frame[factor], errors="coerce").notna().all()
        if not numeric:
            continue
        if factor.startswith("filter."):
            made.append(
                plots.plot_threshold_sweep(
                    usable, metric, factor, plot_dir / f"threshold_{_slug(factor)}.png"
                )
            )
        else:
            hue = _hue(factors, frame, exclude=factor)
            made.append(
                plots.plot_metric_vs(
                    usable,
                    metric,
                    factor,
                    hue,
                    plot_dir / f"{_slug(metric)}_vs_{_slug(factor)}.png",
                )
            )
    completed = frame[frame["status"] != "failed"]
    hue = _hue(factors, frame, exclude="")
    made.append(plots.plot_per_class(completed, hue, plot_dir / "per_class.png"))
    made.append(plots.plot_label_distribution(completed, hue, plot_dir / "label_distribution.png"))
    made.append(plots.plot_linguistic(completed, hue, plot_dir / "linguistic.png"))
    return [path for path in made if path is not None]


def report_blocks(ctx: ReportContext) -> list[Block]:
    """Everything on the page, in order; figures are written to `out_dir/plots` on the way,
    and every test run is recorded in `ctx.tests`."""
    frame, metric, out_dir = ctx.frame, ctx.metric, ctx.out_dir
    factors = _factors(frame)
    counts = frame["status"].value_counts().to_dict()
    metrics = key_metrics(frame, metric)
    blocks = [
        Block("h1", "Sweep report"),
        Block(
            "p",
            f"Source: {frame.attrs.get('source', '')}. {len(frame)} jobs ("
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            + f"). Main metric: {metric}"
            + (" (lower is better)." if lower_is_better(metric) else ".")
            + f" Question: {ctx.settings.question}; alpha = {ctx.settings.alpha:g} after Holm "
            + "correction over every test in this report; power is computed against a "
            + f"difference of {ctx.settings.min_effect:g}."
            + (f" Swept: {', '.join(swept_keys(frame))}." if swept_keys(frame) else ""),
        ),
    ]
    if metric not in frame.columns:
        blocks.append(
            Block("p", f"No job reported {metric}; the tables below show what they did report.")
        )
    shown = [*factors, SEED_KEY] if SEED_KEY in frame and SEED_KEY not in factors else factors
    if not shown:
        shown = override_keys(frame)
    # what each job's figures rest on: the synthetic rows it kept and the rows it trained on
    sizes = [c for c in (KEPT_COLUMN, TRAIN_ROWS_COLUMN) if c in frame and c not in metrics[:4]]
    job_table = frame[["job", "status", *shown, *metrics[:4], *sizes, "duration_s"]]
    blocks += [Block("h2", "Jobs"), Block("table", job_table)]

    failed = frame[frame["status"] == "failed"]
    blocks.append(Block("h2", f"Failed jobs ({len(failed)})"))
    if failed.empty:
        blocks.append(Block("p", "None."))
    else:
        rows = [
            {
                "job": row["job"],
                **{k: row[k] for k in shown},
                "error": (row["error"] or "(no error recorded)")[:MAX_ERROR_CHARS],
            }
            for _, row in failed.iterrows()
        ]
        blocks.append(Block("table", pd.DataFrame(rows)))
    skipped = sorted(
        {line for text in frame["zero_shot_skipped"] for line in text.splitlines() if line}
    )
    if skipped:
        blocks += [
            Block("h2", "Zero-shot sets not scored"),
            Block("p", "Reported by the jobs; the sets are missing from their metrics."),
            Block("pre", "\n".join(skipped)),
        ]
    unfinished = frame[~frame["status"].isin(["completed", "failed"])]
    if not unfinished.empty:
        blocks.append(
            Block(
                "p",
                "Not finished (running, interrupted or without status): "
                + ", ".join(unfinished["job"]),
            )
        )

    if metric in frame.columns:
        summary = group_summary(_usable(frame, metric), metric, factors)
        blocks += [
            Block("h2", f"{metric} per configuration (mean and 95 % CI over seeds)"),
            Block("table", summary),
        ]
    best = best_configurations(frame, metrics, factors)
    blocks += [Block("h2", "Best configuration per metric"), Block("table", best)]

    section = SECTIONS[question_of(ctx.settings.question)](ctx)
    finish_tests(ctx)
    blocks += [Block("h2", "Answer at this size"), Block("p", answer(ctx)), *section]
    if ctx.tests:
        significant = sum(bool(t["significant"]) for t in ctx.tests)
        blocks += [
            Block("h2", "All tests of this report"),
            Block(
                "p",
                f"{len(ctx.tests)} tests, Holm-corrected together at alpha = "
                f"{ctx.settings.alpha:g}: {significant} significant. Seed-level rows: paired "
                "t-test over seeds (p) with the exact sign-flip permutation p (p_exact), the "
                "mean difference a - b and its 95 % t-interval, and the power to detect the "
                "report's minimum effect. Example-level rows: tests over test rows from the "
                "saved predictions. Every figure is also in report.json.",
            ),
            Block("tests", ctx.tests),
        ]
    if ctx.warnings:
        blocks += [Block("h2", f"Warnings ({len(ctx.warnings)})")]
        blocks += [Block("p", f"- {text}") for text in ctx.warnings]

    figures = _plots(frame, metric, factors, out_dir / "plots")
    if figures:
        blocks.append(Block("h2", "Figures"))
        blocks += [
            Block("img", path.relative_to(out_dir).as_posix(), path.stem) for path in figures
        ]
    return blocks


def answer(ctx: ReportContext) -> str:
    """One paragraph: what is significant after Holm, and whether the sweep can answer."""
    alpha = ctx.settings.alpha
    significant = [t for t in ctx.tests if t.get("significant")]
    if significant:
        found = "; ".join(
            f"{t['a']} vs {t['b']} on {t['metric']} ({t['held']}, {t['level']} level): "
            f"effect {t['effect']:+.4g}, adjusted p {t['p_adjusted']:.3g}"
            for t in significant
        )
        text = f"Significant after Holm at alpha = {alpha:g}: {found}."
    else:
        text = (
            f"No difference is significant after Holm at alpha = {alpha:g} "
            f"({len(ctx.tests)} tests)."
        )
    small = [w for w in ctx.warnings if "underpowered" in w or "kept" in w or "cannot go" in w]
    small += [w for w in ctx.warnings if "no seed-level test" in w]
    if small:
        text += (
            f" This sweep is too small to answer the question reliably: {len(small)} warnings "
            "below (too few seeds for the test or the effect, or too few kept synthetic rows)."
        )
    return text


def report_settings(root: Path | None, frame: pd.DataFrame) -> ReportConfig:
    """The `report` node of the jobs' config (the first job that has one), else defaults;
    sweeps from before that node existed get the question their task name names."""
    settings = ReportConfig()
    node: dict[str, Any] = {}
    task = ""
    if root is not None:
        for job in frame["job"]:
            path = root / job / CONFIG_FILE if (root / job).is_dir() else root / CONFIG_FILE
            if path.is_file():
                config = yaml.safe_load(path.read_text()) or {}
                node, task = config.get("report") or {}, str(config.get("task_name", ""))
                break
    known = {f.name for f in dataclasses.fields(ReportConfig)}
    settings = dataclasses.replace(settings, **{k: v for k, v in node.items() if k in known})
    if not node:
        base = task.removesuffix("_cpu")
        with contextlib.suppress(ValueError):
            settings.question = question_of(base).value
    return settings


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _json_ready(value.item())
    return value


def render_report(
    frame: pd.DataFrame,
    out_dir: Path,
    metric: str = DEFAULT_METRIC,
    html_page: bool = False,
    settings: ReportConfig | None = None,
) -> Path:
    """Write report.md (+ report.html), report.json, jobs.csv and plots/ into `out_dir`;
    return report.md."""
    if frame.empty:
        raise ReportError("no jobs to report on")
    out_dir.mkdir(parents=True, exist_ok=True)
    source = frame.attrs.get("source", "")
    root = Path(source) if source and Path(source).is_dir() else None
    settings = settings or report_settings(root, frame)
    try:
        question_of(settings.question)
    except ValueError as error:
        raise ReportError(str(error)) from error
    ctx = ReportContext(frame, metric, settings, out_dir)
    blocks = report_blocks(ctx)
    frame.to_csv(out_dir / "jobs.csv", index=False)
    report = out_dir / "report.md"
    report.write_text(to_markdown(blocks), encoding="utf-8")
    payload = {
        "source": source,
        "metric": metric,
        "settings": dataclasses.asdict(settings),
        "jobs": len(frame),
        "tests": [{k: _json_ready(v) for k, v in test.items()} for test in ctx.tests],
        "warnings": ctx.warnings,
    }
    (out_dir / "report.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    if html_page:
        (out_dir / "report.html").write_text(to_html(blocks, "Sweep report"), encoding="utf-8")
    return report


def build_report(
    path: str | Path,
    metric: str = DEFAULT_METRIC,
    out_dir: str | Path | None = None,
    html_page: bool = False,
    settings: ReportConfig | None = None,
) -> Path:
    """Collect the jobs under `path` and write the report (into `path` unless `out_dir`)."""
    frame = collect_jobs(path)
    target = Path(out_dir) if out_dir is not None else Path(path)
    return render_report(frame, target, metric, html_page, settings)
