"""The top-level schema: every group emoexp owns is typed, so a mistyped key or a value of
the wrong type fails when the config is composed, with a message naming the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from emoexp.data.config import DataConfig
from emoexp.evaluation.config import EvalConfig
from emoexp.explain.config import ExplainConfig
from emoexp.filters.config import FilterConfig
from emoexp.generation.config import GenConfig
from emoexp.llm.config import LLMConfig
from emoexp.models.config import ModelConfig
from emoexp.report.config import ReportConfig
from emoexp.tracking.config import LoggerConfig
from emoexp.training.config import TrainerConfig


@dataclass
class PathsConfig:
    # one sub-folder per dataset, named as in the shared datasets folder
    data_dir: str = "data"
    # content-addressed stage artifacts shared by every job of every sweep
    cache_dir: str = "outputs/cache"
    # this job's folder (set by Hydra)
    output_dir: str = "outputs/run"


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    # the label set the classifier predicts (a file in conf/labels/taxonomies/)
    taxonomy: str = "emo11"
    model: ModelConfig = field(default_factory=ModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    gen: GenConfig = field(default_factory=GenConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    filter: FilterConfig = field(default_factory=FilterConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    seed: int = 0
    task_name: str = "default"
    # which training data the classifier sees: real, synthetic, real+synthetic
    regime: str = "real+synthetic"
    # count the requests, tokens and cost generation would need, send nothing, then stop
    dry_run: bool = False
    # free-form record of an experiment config (name, version, notes)
    experiment_info: dict[str, Any] = field(default_factory=dict)
    # the question the sweep report answers, its alpha and power settings
    report: ReportConfig = field(default_factory=ReportConfig)


def register_configs() -> None:
    """Make the schema available as `emoexp_schema` in the primary config's defaults."""
    ConfigStore.instance().store(name="emoexp_schema", node=Config)
