"""A W&B Report per sweep, built with `wandb-workspaces`, with the protocol's panels.

The panels follow what the sweep varied: the main metric against seed size per strategy,
the metric and the kept synthetic rows against each swept filter threshold, per-class bars,
a parallel-coordinates panel over the swept keys, and the synthetic samples table. The runs
are selected by their W&B group (the sweep), read from the sweep's local run logs, so the
Report is planned without a server. The specification is always written to the sweep folder;
publishing needs a login and network, and when either is missing the command says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from emoexp.report.collect import ReportError, iter_metric_columns, swept_keys
from emoexp.report.wandb_source import collect_wandb_offline, read_offline_runs, run_metrics
from emoexp.tracking.wandb_run import SAMPLES_TABLE, override_config_key

SPEC_FILE = "wandb_report_spec.json"
SEED_KEY = "seed"
SEED_SIZE = "data.seed_size"
STRATEGY = "gen.strategy"
KEPT_ROWS = "filter.kept_rows"
PER_CLASS_MEASURE = "ap"
PREFERRED_HUE = ("gen", "model", "regime", "llm", "filter")


@dataclass
class ReportPlan:
    """What the Report shows, decided from the sweep's runs; the input of the builder."""

    entity: str
    project: str
    title: str
    groups: list[str]
    metric: str
    swept: list[str] = field(default_factory=list)
    thresholds: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    hue: str | None = None
    has_kept_rows: bool = False
    has_samples: bool = False


def parse_target(target: str) -> tuple[str, str]:
    entity, _, project = target.partition("/")
    if not entity or not project or "/" in project:
        raise ReportError(f"--wandb-report wants ENTITY/PROJECT; got {target!r}")
    return entity, project


def _is_numeric(frame: pd.DataFrame, key: str) -> bool:
    return bool(pd.to_numeric(frame[key], errors="coerce").notna().all())


def plan_report(path: str | Path, target: str, metric: str) -> ReportPlan:
    """Read the sweep's W&B run logs and decide the Report's runs and panels."""
    entity, project = parse_target(target)
    root = Path(path).expanduser().resolve()
    runs = [run for _, run in read_offline_runs(root)]
    frame = collect_wandb_offline(root)
    groups = sorted({run.group for run in runs if run.group})
    if not groups:
        raise ReportError(f"the W&B runs under {root} have no group; rerun the sweep")
    swept = swept_keys(frame)
    columns = set(iter_metric_columns(frame))
    # every class the runs scored, also those whose measure is null (no test positives)
    labels = sorted(
        {label for run in runs for label in run_metrics(run).get("test", {}).get("per_class", {})}
    )
    categorical = [k for k in swept if k != SEED_KEY and not _is_numeric(frame, k)]
    hue = next((k for k in PREFERRED_HUE if k in categorical), None)
    return ReportPlan(
        entity=entity,
        project=project,
        title=f"emoexp sweep {groups[0] if len(groups) == 1 else root.name}"[:128],
        groups=groups,
        metric=metric,
        swept=swept,
        thresholds=[k for k in swept if k.startswith("filter.") and _is_numeric(frame, k)],
        labels=labels,
        hue=hue or (categorical[0] if categorical else None),
        has_kept_rows=KEPT_ROWS in columns,
        has_samples=any(SAMPLES_TABLE in run.summary for run in runs),
    )


def _config(wr: Any, key: str, swept: list[str]) -> Any:
    """A swept key is read from its top-level override entry, anything else from the nested
    resolved config (`data.seed_size` -> config `data` -> `seed_size`)."""
    return wr.Config(override_config_key(key) if key in swept else key)


def build_report(plan: ReportPlan, resolve_project: bool = False) -> Any:
    """The `wandb_workspaces` Report. `resolve_project` looks the project up on the server
    (needed to publish); without it the Report is built with no network."""
    import wandb_workspaces.reports.v2 as wr

    entity, project = (plan.entity, plan.project) if resolve_project else ("", "")
    group_filter = (
        f"Group = '{plan.groups[0]}'"
        if len(plan.groups) == 1
        else "Group in [" + ", ".join(f"'{g}'" for g in plan.groups) + "]"
    )

    def runset(name: str, groupby: list[str] | None = None) -> Any:
        return wr.Runset(
            entity=entity, project=project, name=name, filters=group_filter, groupby=groupby or []
        )

    metric = wr.SummaryMetric(plan.metric)
    blocks: list[Any] = [
        wr.H1(plan.title),
        wr.P(
            f"Runs of W&B group {', '.join(plan.groups)}. Main metric: {plan.metric}. "
            f"Swept: {', '.join(plan.swept) or 'nothing'}."
        ),
    ]
    seed_size = _config(wr, SEED_SIZE, plan.swept)
    strategy_key = f"config.{override_config_key('gen')}" if "gen" in plan.swept else None
    blocks += [
        wr.H2(f"{plan.metric} against seed size, per strategy"),
        wr.PanelGrid(
            runsets=[
                runset(
                    "by strategy and seed size",
                    [strategy_key or f"config.{STRATEGY}", f"config.{_group_key(SEED_SIZE, plan)}"],
                )
            ],
            panels=[
                wr.ScatterPlot(title=f"{plan.metric} vs seed size", x=seed_size, y=metric),
                wr.BarPlot(
                    title=f"{plan.metric} per strategy and seed size",
                    metrics=[metric],
                    groupby_aggfunc="mean",
                    groupby_rangefunc="stderr",
                ),
            ],
        ),
    ]
    if plan.thresholds:
        panels: list[Any] = []
        for key in plan.thresholds:
            x = _config(wr, key, plan.swept)
            panels.append(wr.ScatterPlot(title=f"{plan.metric} vs {key}", x=x, y=metric))
            if plan.has_kept_rows:
                panels.append(
                    wr.ScatterPlot(
                        title=f"kept synthetic rows vs {key}", x=x, y=wr.SummaryMetric(KEPT_ROWS)
                    )
                )
        blocks += [
            wr.H2("Filter thresholds"),
            wr.PanelGrid(runsets=[runset("threshold sweep")], panels=panels),
        ]
    if plan.labels:
        bars = wr.BarPlot(
            title=f"per-class {PER_CLASS_MEASURE} (test)",
            metrics=[
                wr.SummaryMetric(f"test.per_class.{label}.{PER_CLASS_MEASURE}")
                for label in plan.labels
            ],
            groupby=_config(wr, plan.hue, plan.swept) if plan.hue else None,
            groupby_aggfunc="mean" if plan.hue else None,
            groupby_rangefunc="stderr" if plan.hue else None,
        )
        blocks += [wr.H2("Per class"), wr.PanelGrid(runsets=[runset("per class")], panels=[bars])]
    columns = [
        wr.ParallelCoordinatesPlotColumn(metric=_config(wr, k, plan.swept)) for k in plan.swept
    ]
    columns.append(wr.ParallelCoordinatesPlotColumn(metric=metric))
    if plan.has_kept_rows:
        columns.append(wr.ParallelCoordinatesPlotColumn(metric=wr.SummaryMetric(KEPT_ROWS)))
    last: list[Any] = [wr.ParallelCoordinatesPlot(title="swept keys", columns=columns)]
    if plan.has_samples:
        last.append(wr.WeavePanelSummaryTable(table_name=SAMPLES_TABLE))
    blocks += [
        wr.H2("Swept keys and synthetic samples"),
        wr.PanelGrid(runsets=[runset("all jobs")], panels=last),
    ]
    return wr.Report(
        entity=plan.entity,
        project=plan.project,
        title=plan.title,
        description=f"Sweep {', '.join(plan.groups)}, written by python -m emoexp.report.",
        blocks=blocks,
    )


def _group_key(key: str, plan: ReportPlan) -> str:
    return override_config_key(key) if key in plan.swept else key


def report_spec(plan: ReportPlan, report: Any) -> dict[str, Any]:
    """The Report as W&B stores it (its view spec), with the plan that chose its panels."""
    model = report._to_model()
    return {
        "entity": plan.entity,
        "project": plan.project,
        "title": plan.title,
        "plan": asdict(plan),
        "published": False,
        "url": None,
        "spec": json.loads(model.spec.model_dump_json(by_alias=True, exclude_none=True)),
    }


def panels_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel of a spec: its view type and config, in order."""
    panels = []
    for block in spec["spec"]["blocks"]:
        if block.get("type") == "panel-grid":
            section = block["metadata"]["panelBankSectionConfig"]
            runsets = block["metadata"]["runSets"]
            for panel in section["panels"]:
                panels.append({**panel, "runSets": runsets})
    return panels


def write_wandb_report(path: str | Path, target: str, metric: str) -> tuple[Path, str]:
    """Write the Report's specification into the sweep folder, then try to publish it.

    Returns (spec file, message); the message says where the Report went or why it was not
    published.
    """
    root = Path(path).expanduser().resolve()
    plan = plan_report(root, target, metric)
    spec = report_spec(plan, build_report(plan))
    spec_path = root / SPEC_FILE
    try:
        report = build_report(plan, resolve_project=True).save()
        spec.update(published=True, url=report.url)
        message = f"published the W&B Report: {report.url}"
    except Exception as error:  # no login, no network, no such project: all say "not published"
        message = (
            f"did not publish the W&B Report to {target} ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); its specification is in "
            f"{spec_path}. Publish the runs with `wandb sync {root}/*/wandb/offline-run-*` "
            "and rerun this command once logged in (`wandb login`)."
        )
    spec_path.write_text(json.dumps(spec, indent=2, sort_keys=True))
    return spec_path, message
