"""Schema of the `logger/` group."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoggerConfig:
    # "wandb", "csv" or "none"
    kind: str = "wandb"
    project: str = "emoexp"
    entity: str = ""
    # W&B group; empty: the experiment and sweep folder, e.g. "default/2026-01-01_12-00-00_0"
    group: str = ""
    # W&B job type; empty: the generation strategy (`gen.strategy`)
    job_type: str = ""
    # W&B mode: "offline" needs no login or network; "online" syncs
    mode: str = "offline"
    tags: list[str] = field(default_factory=list)
    # synthetic rows (kept and rejected, drawn at random) in the W&B samples table
    table_rows: int = 200
    # log the seed data, synthetic data and trained model as W&B artifacts
    log_artifacts: bool = True
    # False: seed data and model are checksummed references to the artifact cache (no copy);
    # True: their files go into the artifacts and are uploaded by `wandb sync`
    upload_artifacts: bool = False
