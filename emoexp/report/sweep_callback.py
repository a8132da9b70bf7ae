"""A Hydra callback that writes the sweep report when a multirun ends.

Experiment configs enable it under `hydra.callbacks`, so `python -m emoexp -m experiment=NAME`
leaves `report.md` and its plots in the sweep folder without a second command.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from emoexp.report.collect import ReportError

log = logging.getLogger(__name__)


class WriteSweepReport(Callback):
    def __init__(self, metric: str = "test.ap_micro", html: bool = True) -> None:
        self.metric = metric
        self.html = html

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from emoexp.report.render import build_report

        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            path = build_report(sweep_dir, self.metric, html_page=self.html)
        except ReportError as error:
            # a sweep whose every job failed still ends cleanly; the jobs' status files say why
            log.error("no sweep report for %s: %s", sweep_dir, error)
            return
        log.info("sweep report: %s", path)
