"""A generation with samples the LLM never answered is never stored as finished: the job
fails naming how many and why, and a rerun asks again for exactly the missing samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.loopback_server import Faults, LoopbackServer

from emoexp.cache.artifacts import ArtifactStore
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation.completeness import IncompleteGenerationError
from emoexp.generation.config import GenConfig
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import ServerUnavailable
from emoexp.stages.generate import generate_stage
from emoexp.stages.seed import SeedData

TAXONOMY = load_taxonomy("emo11")
PLANNED = 10 * len(TAXONOMY.labels)


def seed_data() -> SeedData:
    rows = [
        Row(id=f"r{i}", text=f"a real sentence about {label}", labels=[label],
            multi_hot=list(TAXONOMY.multi_hot([label])), taxonomy="emo11")
        for i, label in enumerate(TAXONOMY.labels)
    ]  # fmt: skip
    ds = rows_to_dataset(rows)
    return SeedData(key="seed-fixture", train=ds, validation=ds, test=ds, summary={})


def llm_for(server: LoopbackServer, max_retries: int = 0) -> LLMConfig:
    return LLMConfig(
        backend="openai", provider="compatible", model="loopback-echo",
        base_url=[server.base_url], api_key_env="EMOEXP_TEST_UNSET_KEY", max_concurrency=16,
        max_retries=max_retries, timeout_s=5.0, backoff_base_s=0.01, backoff_max_s=0.02,
        progress=False,
    )  # fmt: skip


def gen(max_missing_fraction: float = 0.0) -> GenConfig:
    return GenConfig(
        strategy="naive", samples_per_label=10, max_missing_fraction=max_missing_fraction
    )


def run_stage(store: ArtifactStore, server: LoopbackServer, cfg: GenConfig):
    return generate_stage(cfg, llm_for(server), seed_data(), None, "", TAXONOMY, "en", store)


def finished_artifacts(store: ArtifactStore) -> list[str]:
    folder = store.root / "generate"
    return sorted(p.name for p in folder.iterdir() if (p / "_complete.json").is_file())


def test_failed_requests_fail_the_stage_and_a_rerun_asks_only_for_them(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "cache")
    with LoopbackServer(Faults(p_5xx=0.4, seed=3)) as flaky:
        with pytest.raises(IncompleteGenerationError) as raised:
            run_stage(store, flaky, gen())
        first_requests = flaky.stats.requests
    missing = raised.value.report.missing
    assert first_requests == PLANNED
    assert 0 < missing < PLANNED
    message = str(raised.value)
    assert f"{missing} of {PLANNED} planned samples" in message and "HTTP 50" in message
    assert finished_artifacts(store) == []

    with LoopbackServer(Faults()) as healthy:
        generated = run_stage(store, healthy, gen())
        assert healthy.stats.requests == missing
    assert generated.stats["missing"] == 0 and generated.stats["accepted"] == PLANNED
    assert finished_artifacts(store) == [generated.key]

    with LoopbackServer(Faults()) as again:
        assert run_stage(store, again, gen()).key == generated.key
        assert again.stats.requests == 0


def test_a_dead_server_fails_the_stage_without_storing_anything(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "cache")
    with LoopbackServer(Faults()) as server:
        url = server.base_url
    dead = LLMConfig(**{**llm_for(server).__dict__, "base_url": [url]})
    # requests that find no server in a row stop the whole run rather than each failing alone
    with pytest.raises(ServerUnavailable, match="the run stops"):
        generate_stage(gen(), dead, seed_data(), None, "", TAXONOMY, "en", store)
    assert not (store.root / "generate").exists() or finished_artifacts(store) == []


def test_an_allowed_missing_share_is_reported_and_still_asked_again(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "cache")
    with LoopbackServer(Faults(p_5xx=0.2, seed=5)) as flaky:
        partial = run_stage(store, flaky, gen(max_missing_fraction=0.5))
    missing = partial.stats["missing"]
    assert missing > 0 and partial.stats["missing_fraction"] == pytest.approx(missing / PLANNED)
    assert partial.stats["accepted"] == PLANNED - missing
    assert "-partial-" in partial.key

    with LoopbackServer(Faults()) as healthy:
        complete = run_stage(store, healthy, gen(max_missing_fraction=0.5))
        assert healthy.stats.requests == missing
    assert complete.stats["missing"] == 0 and "-partial-" not in complete.key
