"""Time the sweep report on a generated 50-job sweep folder (demo metrics, not results).

    python benchmarks/report_speed.py [--jobs-grid 5x5x2] [--repeat 3]

Prints the time to collect the jobs, to build the whole report (tables, tests, plots), and
whether torch was imported on the way (it must not be: the report is meant to be instant).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

STRATEGIES = ("none", "naive", "shap", "persona", "conversation")
SEED_SIZES = (25, 50, 100, 200, 400)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="seeds per configuration")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    from emoexp.report import build_report, collect_jobs

    # the demo sweep writer lives with the notebook that shows the report without a sweep
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
    from demo_sweep import write_demo_sweep

    import_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        sweep = write_demo_sweep(
            Path(tmp) / "sweep",
            strategies=STRATEGIES,
            seed_sizes=SEED_SIZES,
            seeds=tuple(range(args.seeds)),
            failed_jobs=(7,),
        )
        jobs = len(collect_jobs(sweep))
        collect_times, build_times = [], []
        for run in range(args.repeat):
            t0 = time.perf_counter()
            collect_jobs(sweep)
            collect_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            build_report(sweep, out_dir=Path(tmp) / f"report{run}", html_page=True)
            build_times.append(time.perf_counter() - t0)
    print(f"jobs: {jobs}")
    print(f"import emoexp.report: {import_s:.2f} s")
    print(f"collect_jobs: best {min(collect_times):.3f} s of {args.repeat}")
    print(
        f"build_report (md + html + plots): best {min(build_times):.2f} s, "
        f"first {build_times[0]:.2f} s"
    )
    print(f"torch imported: {'torch' in sys.modules}")


if __name__ == "__main__":
    main()
