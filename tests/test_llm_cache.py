"""The durable response cache: what it keeps, what it never serves, and what never enters it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from helpers.loopback_server import Faults, LoopbackServer

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import OpenAICompatibleBackend
from emoexp.llm.types import ChatRequest


def store(cache: ResponseCache, key: str, text: str = "reply") -> None:
    cache.put(key, backend="b", model="m", request_json="{}", text=text, prompt_tokens=3)


def test_a_stored_response_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with ResponseCache(path) as writer, ResponseCache(path) as reader:
        store(writer, "k1", "hello")
        hit = reader.get("k1")
        assert hit is not None and hit.text == "hello" and hit.prompt_tokens == 3
        assert writer._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_first_stored_answer_wins(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        store(cache, "k", "first")
        kept = cache.put("k", backend="b", model="m", request_json="{}", text="second")
        assert kept.text == "first" and cache.get("k").text == "first"  # type: ignore[union-attr]
        assert len(cache) == 1


def test_failures_are_recorded_but_never_served(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.record_failure("k", backend="b", model="m", error="HTTP 400: nope", attempts=1)
        cache.record_failure("k", backend="b", model="m", error="HTTP 400: nope", attempts=1)
        assert cache.get("k") is None
        assert [f.error for f in cache.failures("k")] == ["HTTP 400: nope"] * 2


def test_lookups_of_many_keys_cross_the_parameter_limit(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.put_many(
            [
                {"key": f"k{i}", "backend": "b", "model": "m", "request_json": "{}", "text": str(i)}
                for i in range(1500)
            ]
        )
        found = cache.get_many([f"k{i}" for i in range(2000)])
    assert len(found) == 1500 and found["k1499"].text == "1499"


def test_threads_can_write_at_once(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as cache:

        def write(thread: int) -> None:
            for i in range(100):
                store(cache, f"{thread}-{i}")

        threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(cache) == 400


def test_unknown_synchronous_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        ResponseCache(tmp_path / "c.sqlite", synchronous="sometimes")


def test_the_api_key_never_reaches_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-test-9f8e7d6c5b4a-DO-NOT-STORE"
    monkeypatch.setenv("EMOEXP_TEST_API_KEY", secret)
    path = tmp_path / "c.sqlite"
    requests = [ChatRequest(messages=(("user", f"prompt {i}"),)) for i in range(5)] + [
        ChatRequest(messages=(("user", "REJECT_ME"),))
    ]
    with LoopbackServer(Faults(api_key=secret, fail_first=1, fail_status=500)) as server:
        cfg = LLMConfig(
            backend="openai",
            model="m",
            base_url=[server.base_url],
            api_key_env="EMOEXP_TEST_API_KEY",
            backoff_base_s=0.01,
            progress=False,
        )
        with ResponseCache(path) as cache:
            backend = OpenAICompatibleBackend(cfg, cache)
            results = backend.generate(requests)
            assert secret not in repr(backend)
        assert server.stats.authorizations == {f"Bearer {secret}"}
    assert sum(r.ok for r in results) == 5
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("c.sqlite"))
    assert b"sk-test" not in stored
    rows = sqlite3.connect(path).execute("SELECT * FROM responses").fetchall()
    assert rows and not any(secret in str(row) for row in rows)
    assert secret not in caplog.text
    assert all(secret not in (r.error or "") for r in results)


def test_a_wrong_key_fails_fast_with_the_servers_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMOEXP_TEST_API_KEY", "sk-wrong")
    with (
        LoopbackServer(Faults(api_key="sk-right")) as server,
        ResponseCache(tmp_path / "c.sqlite") as cache,
    ):
        cfg = LLMConfig(
            backend="openai",
            model="m",
            base_url=[server.base_url],
            api_key_env="EMOEXP_TEST_API_KEY",
            progress=False,
        )
        [result] = OpenAICompatibleBackend(cfg, cache).generate(
            [ChatRequest(messages=(("user", "hi"),))]
        )
        assert server.stats.requests == 1
    assert "HTTP 401" in (result.error or "") and "Incorrect API key" in (result.error or "")
    assert "sk-wrong" not in (result.error or "")


def test_key_lookups_cross_sqlite_parameter_chunks() -> None:
    import sqlite3

    from emoexp.llm.sqlite_lookup import LOOKUP_CHUNK, rows_where_in

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, text TEXT)")
    stored = [f"k{i}" for i in range(3 * LOOKUP_CHUNK)]
    conn.executemany("INSERT INTO responses VALUES (?, ?)", [(k, k.upper()) for k in stored])
    asked = [*stored[::2], *stored[::2], "missing"]
    rows = rows_where_in(conn, "SELECT key, text FROM responses WHERE key IN ({marks})", asked)
    assert sorted(rows) == sorted((k, k.upper()) for k in stored[::2])
