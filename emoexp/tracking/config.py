"""Schema of the `logger/` group."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoggerConfig:
    # "wandb", "csv" or "none"
    kind: str = "wandb"
    project: str = "emoexp"
    entity: str = ""
    group: str = ""
    # W&B mode: "offline" needs no login or network; "online" syncs
    mode: str = "offline"
    tags: list[str] = field(default_factory=list)
