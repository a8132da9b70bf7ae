"""`python -m emoexp.report PATH` (or `--wandb ENTITY/PROJECT[:GROUP]`): write a sweep report.

`--wandb-offline` reads PATH's local W&B run logs instead of its job files; `--wandb-report
ENTITY/PROJECT` builds a W&B Report for the sweep (written as a specification when it cannot
be published)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emoexp.report.collect import ReportError
from emoexp.report.render import DEFAULT_METRIC, build_report, render_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emoexp.report",
        description="Compare the jobs of a run or sweep folder: tables, significance, plots.",
    )
    parser.add_argument("path", nargs="?", help="a job, sweep or multirun folder")
    parser.add_argument(
        "--metric", default=DEFAULT_METRIC, help=f"main metric (default {DEFAULT_METRIC})"
    )
    parser.add_argument("--out", help="where to write report.md and plots/ (default: PATH)")
    parser.add_argument("--html", action="store_true", help="also write report.html")
    parser.add_argument(
        "--wandb", metavar="ENTITY/PROJECT[:GROUP]", help="read runs from W&B instead"
    )
    parser.add_argument(
        "--wandb-offline",
        action="store_true",
        help="read PATH's offline W&B runs (wandb/offline-run-*) instead of its job files",
    )
    parser.add_argument(
        "--wandb-report",
        metavar="ENTITY/PROJECT",
        help="build a W&B Report for the sweep at PATH; without login or network, write its "
        "specification to PATH and say so",
    )
    args = parser.parse_args(argv)
    if bool(args.path) == bool(args.wandb):
        parser.error("give exactly one of PATH or --wandb")
    try:
        if args.wandb_report:
            from emoexp.report.wandb_report import write_wandb_report

            if not args.path:
                parser.error("--wandb-report needs the sweep PATH")
            _, message = write_wandb_report(args.path, args.wandb_report, args.metric)
            print(message)
            return 0
        if args.wandb_offline:
            from emoexp.report.wandb_source import collect_wandb_offline

            out = Path(args.out) if args.out else Path(args.path) / "wandb_offline_report"
            report = render_report(collect_wandb_offline(args.path), out, args.metric, args.html)
        elif args.wandb:
            from emoexp.report.wandb_source import collect_wandb

            if not args.out:
                parser.error("--wandb needs --out")
            report = render_report(
                collect_wandb(args.wandb), Path(args.out), args.metric, args.html
            )
        else:
            report = build_report(args.path, args.metric, args.out, args.html)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
