"""The content-addressed store: keys are stable, builds are atomic and never repeated."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint


def test_fingerprint_ignores_key_order_and_omegaconf_wrapping() -> None:
    plain = {"b": 1, "a": [1, 2]}
    assert fingerprint(plain) == fingerprint({"a": [1, 2], "b": 1})
    assert fingerprint(plain) == fingerprint(OmegaConf.create(plain))
    assert fingerprint(plain) != fingerprint({"a": [1, 2], "b": 2})


def test_second_request_reuses_the_artifact(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    calls = []

    def build(out: Path) -> dict[str, int]:
        calls.append(1)
        (out / "data.txt").write_text("payload")
        return {"rows": 3}

    first, reused_first = store.get_or_build("stage", "k1", build)
    second, reused_second = store.get_or_build("stage", "k1", build)
    assert first == second and (first / "data.txt").read_text() == "payload"
    assert (reused_first, reused_second) == (False, True)
    assert len(calls) == 1
    assert store.summary("stage", "k1") == {"rows": 3}


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)

    def broken(out: Path) -> None:
        (out / "half.txt").write_text("partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.get_or_build("stage", "k", broken)
    assert not store.exists("stage", "k")
    assert not any(p.name.startswith(".k-") for p in (tmp_path / "stage").iterdir())


def _build_slowly_and_count(root: str, counter: str) -> None:
    """A build that takes long enough for every rival to arrive while it runs."""
    store = ArtifactStore(root)

    def build(out: Path) -> None:
        with open(counter, "a") as handle:
            handle.write("built\n")
        time.sleep(0.3)
        (out / "x").write_text("x")

    store.get_or_build("s", "same", build)


def test_parallel_threads_build_once(tmp_path: Path) -> None:
    counter = tmp_path / "builds.txt"
    start = threading.Barrier(4)

    def job() -> None:
        start.wait()
        _build_slowly_and_count(str(tmp_path / "cache"), str(counter))

    threads = [threading.Thread(target=job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.read_text().count("built") == 1


def test_parallel_processes_build_once(tmp_path: Path) -> None:
    counter = tmp_path / "builds.txt"
    context = multiprocessing.get_context("spawn")
    jobs = [
        context.Process(
            target=_build_slowly_and_count, args=(str(tmp_path / "cache"), str(counter))
        )
        for _ in range(3)
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=120)
        assert job.exitcode == 0
    assert counter.read_text().count("built") == 1
