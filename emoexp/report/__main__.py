"""`python -m emoexp.report PATH` (or `--wandb ENTITY/PROJECT[:GROUP]`): write a sweep report."""

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
    args = parser.parse_args(argv)
    if bool(args.path) == bool(args.wandb):
        parser.error("give exactly one of PATH or --wandb")
    try:
        if args.wandb:
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
