"""Server kinds over real HTTP on loopback: each structured-output form, a server that refuses
a form (as llama.cpp refuses json_schema), reply budgets and cut-off replies, and the run-level
stop on a dead or hanging server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from emoexp.data.schema import rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation import GenConfig, generate
from emoexp.generation.asking import GenStats, ask
from emoexp.generation.replies import read_json_sample
from emoexp.llm.budgets import effective_max_tokens, token_budget
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import OpenAICompatibleBackend, ServerRefusedFormat, ServerUnavailable
from emoexp.llm.structured import response_format_for
from emoexp.llm.types import ChatRequest

TAXONOMY = load_taxonomy("emo11")
SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}

# body -> (status, JSON body)
Handler = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


@contextmanager
def http_server(handler: Handler) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A chat-completions server on loopback answering with `handler`; yields its base URL
    and the request bodies it received."""
    received: list[dict[str, Any]] = []

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        received.append(body)
        status, reply = handler(body)
        return web.json_response(reply, status=status)

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/v1", received
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def completion(content: str, finish_reason: str = "stop", tokens: int = 1) -> dict[str, Any]:
    return {
        "choices": [{"message": {"content": content}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": tokens},
    }


def config(base_url: str, **overrides: Any) -> LLMConfig:
    values: dict[str, Any] = {
        "backend": "openai",
        "provider": "loopback",
        "model": "m",
        "base_url": [base_url],
        "api_key_env": "EMOEXP_TEST_UNSET_KEY",
        "max_concurrency": 4,
        "max_retries": 8,
        "timeout_s": 5.0,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "progress": False,
    }
    values.update(overrides)
    return LLMConfig(**values)


# ----------------------------------------------------------------- structured-output forms


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            "json_schema",
            {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": SCHEMA, "strict": True},
            },
        ),
        ("json_object_schema", {"type": "json_object", "schema": SCHEMA}),
        ("json_object", {"type": "json_object"}),
        ("none", None),
    ],
)
def test_each_form_reaches_the_server_as_that_server_wants_it(form: str, expected: Any) -> None:
    def handler(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion(json.dumps({"text": "Finally home after a long week."}))

    with http_server(handler) as (url, received):
        cfg = config(url, structured=True, structured_output=form)
        request = ChatRequest(messages=(("user", "write"),), json_schema=SCHEMA)
        [result] = OpenAICompatibleBackend(cfg, None).generate([request])
    assert result.ok
    assert received[0].get("response_format") == expected
    assert response_format_for(cfg, request) == expected


def test_plain_text_requests_go_without_a_response_format_under_a_structured_preset() -> None:
    """A persona stage or a judge's score asks for plain text: forcing JSON on it (as a bare
    json_object did on llama.cpp) turns every such reply into an object, rejected as
    `not_a_post`."""
    cfg = LLMConfig(structured=True, structured_output="json_object_schema")
    plain_stage = ChatRequest(messages=(("user", "x"),), metadata={"structured": False})
    judge = ChatRequest(messages=(("user", "rate"),), kind="judge")
    json_post = ChatRequest(messages=(("user", "x"),), metadata={"structured": True})
    assert response_format_for(cfg, plain_stage) is None
    assert response_format_for(cfg, judge) is None
    assert response_format_for(cfg, json_post) == {"type": "json_object"}


def test_an_unknown_form_is_named() -> None:
    cfg = LLMConfig(structured=True, structured_output="grammar-ish")
    with pytest.raises(ValueError, match=r"llm\.structured_output"):
        response_format_for(cfg, ChatRequest(messages=(("user", "x"),), json_schema=SCHEMA))


def llama_cpp_like(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """llama.cpp's server: json_object + schema works, json_schema is an HTTP 500."""
    form = body.get("response_format") or {}
    if form.get("type") == "json_schema":
        message = "Unrecognized response_format type: json_schema"
        return 500, {"error": {"code": 500, "message": message, "type": "server_error"}}
    return 200, completion(json.dumps({"text": "The bus was late again.", "emotions": ["anger"]}))


def test_a_refused_form_stops_the_run_at_once_with_the_preset_to_use() -> None:
    requests = [
        ChatRequest(messages=(("user", f"write {i}"),), json_schema=SCHEMA) for i in range(20)
    ]
    with http_server(llama_cpp_like) as (url, received):
        cfg = config(url, structured=True, structured_output="json_schema")
        started = time.monotonic()
        with pytest.raises(ServerRefusedFormat) as raised:
            OpenAICompatibleBackend(cfg, None).generate(requests)
        elapsed = time.monotonic() - started
        # no request was retried: at most the window in flight reached the server
        assert len(received) <= cfg.max_concurrency
        message = str(raised.value)
        assert "json_schema" in message and "llm=llama_cpp" in message
        assert "json_object_schema" in message
        assert elapsed < 3.0

        fixed = config(url, structured=True, structured_output="json_object_schema")
        results = OpenAICompatibleBackend(fixed, None).generate(requests)
    assert all(result.ok for result in results)


def test_a_bad_request_that_is_not_about_the_format_fails_only_itself() -> None:
    def handler(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if "too long" in body["messages"][-1]["content"]:
            message = "This model's maximum context length is 2048 tokens (max_tokens 100)"
            return 400, {"error": {"message": message}}
        return 200, completion("A fine post.")

    requests = [ChatRequest(messages=(("user", text),)) for text in ("ok", "too long", "ok 2")]
    with http_server(handler) as (url, _):
        results = OpenAICompatibleBackend(config(url), None).generate(requests)
    assert [result.ok for result in results] == [True, False, True]


# ----------------------------------------------------------------- reply budgets


def test_budgets_follow_the_request_kind_and_can_be_overridden() -> None:
    cfg = LLMConfig(max_tokens=60)
    assert token_budget(cfg, "post", structured=False) == 60
    assert token_budget(cfg, "post", structured=True) == 100
    assert token_budget(cfg, "dialogue_turn", structured=True, units=5) == 5 * (40 + 40)
    plain = ChatRequest(messages=(("user", "x"),), kind="post")
    # a plain post keeps llm.max_tokens: the cache keys of plain runs do not move
    assert effective_max_tokens(cfg, plain) == 60
    assert effective_max_tokens(cfg, ChatRequest(messages=(("user", "x"),))) == 60
    custom = LLMConfig(max_tokens=60, token_budgets={"post": 90, "json_overhead": 10})
    assert effective_max_tokens(custom, plain) == 90
    structured = ChatRequest(
        messages=(("user", "x"),), kind="post", metadata={"structured": True}, budget_factor=2
    )
    assert effective_max_tokens(custom, structured) == 200
    with pytest.raises(ValueError, match="unknown kinds"):
        token_budget(LLMConfig(token_budgets={"posts": 9}), "post", structured=False)


def test_judge_requests_get_the_judge_budget_not_a_posts() -> None:
    """A judge answers with a score: a post's budget only lets a small model ramble on."""
    from emoexp.analysis.judge import judge_requests
    from emoexp.filters.judge import TEMPLATE_DIR, judge_request
    from emoexp.generation.prompts import load_template

    cfg = LLMConfig(max_tokens=60)
    template = load_template("judge.v1", TEMPLATE_DIR)
    requests = [judge_request("so happy", ["joy"], "en", template), *judge_requests(["hi"])]
    assert {request.kind for request in requests} == {"judge"}
    assert {effective_max_tokens(cfg, request) for request in requests} == {16}
    custom = LLMConfig(max_tokens=60, token_budgets={"judge": 30})
    assert effective_max_tokens(custom, requests[0]) == 30


def cutting_server(words_needed: Callable[[str], int]) -> Handler:
    """Replies with a JSON post of `words_needed(prompt)` words (one token each), cut off at
    the request's max_tokens with finish_reason=length, as a real server does."""

    def handler(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prompt = body["messages"][0]["content"]
        words = ["word"] * words_needed(prompt)
        reply = json.dumps({"text": " ".join(words) + ".", "emotions": ["joy"]})
        tokens = reply.split(" ")
        limit = int(body["max_tokens"])
        if len(tokens) > limit:
            return 200, completion(" ".join(tokens[:limit]), "length", limit)
        return 200, completion(reply, "stop", len(tokens))

    return handler


def test_a_cut_off_reply_is_asked_once_with_a_larger_budget_then_rejected_as_truncated() -> None:
    def needed(prompt: str) -> int:
        return {"short": 20, "medium": 150, "long": 1000}[prompt.split()[0]]

    with http_server(cutting_server(needed)) as (url, received):
        cfg = config(url, structured=True, structured_output="json_object", max_tokens=60)
        backend = OpenAICompatibleBackend(cfg, None)
        requests = [
            ChatRequest(
                messages=(("user", f"{size} post about joy"),),
                kind="post",
                metadata={"structured": True},
            )
            for size in ("short", "medium", "long")
        ]
        stats = GenStats()

        def read(raw: str, truncated: bool | None) -> Any:
            return read_json_sample(raw, labels=TAXONOMY.labels, truncated=truncated)

        answers = ask(backend, requests, read, max_reasks=2, stats=stats, stage="text")
    assert [answer.ok for answer in answers] == [True, True, False]
    assert answers[2].reason == "truncated" and "finish_reason=length" in answers[2].detail
    # short: 1 request; medium: 100 tokens cut, 200 enough; long: 100 and 200, both cut
    assert [body["max_tokens"] for body in received] == [100, 100, 100, 200, 200]
    assert stats.truncated == 3 and stats.truncation_reasks == 2
    assert stats.rejections == Counter() and stats.failures["text:truncated"] == 3


def test_whole_dialogues_get_a_budget_for_all_their_turns(tmp_path: Path) -> None:
    def handler(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prompt = body["messages"][-1]["content"]
        plan = [line.split(". ", 1)[1] for line in prompt.splitlines() if line[:1].isdigit()]
        turns = [
            {
                "speaker": item.split(" (")[0],
                "text": f"Line {n} where I say how I feel about the flat today.",
                "emotion": item.split("(")[1].rstrip(")"),
            }
            for n, item in enumerate(plan)
        ]
        reply = json.dumps(turns)
        # about four characters a token, as for English text
        limit = int(body["max_tokens"])
        if len(reply) / 4 > limit:
            return 200, completion(reply[: limit * 4], "length", limit)
        return 200, completion(reply, "stop", len(reply) // 4)

    with http_server(handler) as (url, received):
        cfg = config(url, structured=True, structured_output="json_schema", max_tokens=60)
        backend = OpenAICompatibleBackend(cfg, None)
        gen = GenConfig(strategy="conversation", samples_per_label=1, seed=3)
        out = generate(
            gen,
            backend,
            TAXONOMY,
            rows_to_dataset([]),
            None,
            tmp_path,
            structured=True,
            language="en",
        )
    assert len(out.rejected) == 0 and len(out.accepted) == 11
    assert all(body["max_tokens"] >= 3 * 80 for body in received)
    assert out.stats["truncated"] == 0


# ----------------------------------------------------------------- dead and hanging servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_refuses_connections_stops_the_run_quickly() -> None:
    cfg = config(f"http://127.0.0.1:{free_port()}/v1", max_concurrency=8)
    requests = [ChatRequest(messages=(("user", f"p {i}"),)) for i in range(50)]
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match="no answer to"):
        OpenAICompatibleBackend(cfg, None).generate(requests)
    assert time.monotonic() - started < 5.0


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and reads requests, never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        listener.close()


@pytest.mark.parametrize("in_flight", [1, 8])
def test_a_server_that_never_answers_stops_the_run_within_about_two_timeouts(
    in_flight: int,
) -> None:
    with silent_server() as url:
        cfg = config(url, timeout_s=1.0, max_concurrency=in_flight, max_retry_time_s=600.0)
        requests = [ChatRequest(messages=(("user", f"p {i}"),)) for i in range(40)]
        started = time.monotonic()
        with pytest.raises(ServerUnavailable, match="timed out"):
            OpenAICompatibleBackend(cfg, None).generate(requests)
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2 * cfg.timeout_s + 1.0


def test_max_retry_time_bounds_a_request_including_its_attempt_in_flight() -> None:
    with silent_server() as url:
        cfg = config(url, timeout_s=10.0, max_retry_time_s=1.5, max_concurrency=1)
        started = time.monotonic()
        [result] = OpenAICompatibleBackend(cfg, None).generate(
            [ChatRequest(messages=(("user", "p"),))]
        )
        elapsed = time.monotonic() - started
    assert not result.ok and "max_retry_time_s" in (result.error or "")
    assert elapsed < 2.0
