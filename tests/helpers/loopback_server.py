"""An OpenAI-compatible chat server on 127.0.0.1 with injectable faults, for tests and
benchmarks of the request engine over real HTTP.

It answers POST /v1/chat/completions with a deterministic echo of the prompt (see
`emoexp.llm.echo`), and GET /v1/models. It also speaks the Batch API (upload a JSONL file,
create, list and retrieve batches, download output and error files): a batch completes
`batch_delay_s` after its creation with the same echo replies, lines carrying a marker get an
error line, and batches carrying other markers fail or expire. It counts how many times each
batch `custom_id` was ever submitted. Latency, rate limits (429 with Retry-After), server
errors, hangs longer than a client's timeout, dropped connections and malformed bodies are
injected at configurable rates, or deterministically for the first attempts of every
request or for prompts carrying a marker. It counts what it received per prompt and the
most requests it ever held at once, and reports them at GET /_stats.

Run in a background thread (`with LoopbackServer(Faults(...)) as server:`) or, so that a
benchmark's client has a core to itself, as a process:
`python tests/helpers/loopback_server.py --latency 0.2` (prints `LISTENING <port>`), wrapped by
`LoopbackServerProcess`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from aiohttp import web

from emoexp.llm.echo import echo_reply, last_user_message

log = logging.getLogger(__name__)
# (messages as (role, content) pairs, the request's seed, whether JSON was asked for) -> reply
ReplyFunction = Callable[[list[tuple[str, str]], Any, bool], str]


@dataclass
class Faults:
    # seconds every request takes, plus up to `jitter_s` more
    latency_s: float = 0.0
    jitter_s: float = 0.0
    # shares of requests answered with a fault instead of a reply
    p_429: float = 0.0
    p_5xx: float = 0.0
    # hang for `hang_s` (longer than the client's timeout), then answer normally
    p_timeout: float = 0.0
    # close the connection without an answer
    p_drop: float = 0.0
    # 200 with a body that is not JSON
    p_malformed: float = 0.0
    # a reply whose content wraps its JSON in prose and a Markdown fence
    p_prose: float = 0.0
    hang_s: float = 30.0
    # the Retry-After a 429 carries (seconds; sent as Retry-After and retry-after-ms)
    retry_after_s: float = 0.05
    # the first `fail_first` attempts of every distinct request get `fail_status`
    fail_first: int = 0
    fail_status: int = 429
    # prompts containing these markers are refused with a 400 / hang on every attempt
    reject_marker: str = "REJECT_ME"
    hang_marker: str = "HANG_ME"
    # when set, requests must carry `Authorization: Bearer <api_key>` (else 401)
    api_key: str = ""
    # a careless server: its 401 message repeats the Authorization header it received
    echo_key: bool = False
    seed: int = 0
    # --- Batch API ---
    # seconds from a batch's creation to its completion
    batch_delay_s: float = 0.0
    # lines whose prompt carries this marker are answered in the error file (HTTP 400)
    batch_line_error_marker: str = "BATCH_LINE_ERROR"
    # a batch with a line carrying this marker fails validation (no line is answered)
    batch_fail_marker: str = "BATCH_FAIL"
    # a batch with a line carrying this marker expires: those lines get `batch_expired`
    # errors, the others are answered
    batch_expire_marker: str = "BATCH_EXPIRE"
    # the first N batch creations are carried out but their reply is lost (connection cut)
    batch_drop_create: int = 0


@dataclass
class ServerStats:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    # 200 replies written in full, and replies whose client had gone
    completed: int = 0
    unsent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    # requests received per prompt (last user message), and replies completed per prompt
    by_prompt: Counter[str] = field(default_factory=Counter)
    completed_by_prompt: Counter[str] = field(default_factory=Counter)
    # prompts in the order their replies completed
    completion_order: list[str] = field(default_factory=list)
    # response_format types received ("none" when absent)
    response_formats: Counter[str] = field(default_factory=Counter)
    # distinct Authorization headers seen (tests check the key arrived, and only there)
    authorizations: set[str] = field(default_factory=set)
    # Batch API: files uploaded, batches created, status checks, and how many batches
    # each custom_id was ever submitted in
    files_uploaded: int = 0
    batches_created: int = 0
    batch_retrievals: int = 0
    batch_submissions: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "completed": self.completed,
            "unsent": self.unsent,
            "statuses": {str(status): count for status, count in self.statuses.items()},
            "by_prompt": dict(self.by_prompt),
            "completed_by_prompt": dict(self.completed_by_prompt),
            "completion_order": list(self.completion_order),
            "response_formats": dict(self.response_formats),
            "authorizations": sorted(self.authorizations),
            "files_uploaded": self.files_uploaded,
            "batches_created": self.batches_created,
            "batch_retrievals": self.batch_retrievals,
            "batch_submissions": dict(self.batch_submissions),
        }


def completion_body(model: str, content: str, prompt: str) -> dict[str, Any]:
    prompt_tokens = max(1, len(prompt.split()))
    completion_tokens = max(1, len(content.split()))
    return {
        "id": "chatcmpl-" + hashlib.sha1(content.encode()).hexdigest()[:16],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": None}}


def batch_line_reply(
    line: dict[str, Any], faults: Faults, expired: bool
) -> tuple[bool, dict[str, Any]]:
    """(answered, output or error line) for one line of a batch input file: the reply the
    chat endpoint would give, a 400 for the line-error marker, or `batch_expired`."""
    custom_id = str(line["custom_id"])
    body = line["body"]
    messages = [(m["role"], m["content"]) for m in body["messages"]]
    prompt = last_user_message(messages)
    request_id = "req_" + hashlib.sha1(custom_id.encode()).hexdigest()[:16]
    record: dict[str, Any] = {"id": f"batch_{request_id}", "custom_id": custom_id}
    if expired and faults.batch_expire_marker and faults.batch_expire_marker in prompt:
        message = "This request could not be executed before the completion window expired."
        record.update(response=None, error={"code": "batch_expired", "message": message})
        return False, record
    if faults.batch_line_error_marker and faults.batch_line_error_marker in prompt:
        refusal = f"prompt refused: contains {faults.batch_line_error_marker}"
        response = {
            "status_code": 400,
            "request_id": request_id,
            "body": error_body(refusal, "invalid_request_error"),
        }
        record.update(response=response, error=None)
        return False, record
    content = echo_reply(messages, body.get("seed"), body.get("response_format") is not None)
    response = {
        "status_code": 200,
        "request_id": request_id,
        "body": completion_body(str(body.get("model", "")), content, prompt),
    }
    record.update(response=response, error=None)
    return True, record


class _ChatApp:
    """The request handlers; all state is touched only from the server's event loop."""

    def __init__(self, faults: Faults, reply: ReplyFunction | None = None) -> None:
        self.faults = faults
        # what a chat request is answered with (default: the deterministic echo)
        self.reply = reply or echo_reply
        self.stats = ServerStats()
        self.attempts: Counter[str] = Counter()
        self.random = random.Random(faults.seed)
        # Batch API state; kept across `reset`, which clears only the counters
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_lines: dict[str, list[dict[str, Any]]] = {}

    def reset(self) -> None:
        self.stats = ServerStats()
        self.attempts = Counter()

    def build(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        app.router.add_post("/v1/files", self.upload_file)
        app.router.add_get("/v1/files/{file_id}", self.file_info)
        app.router.add_get("/v1/files/{file_id}/content", self.file_content)
        app.router.add_post("/v1/batches", self.create_batch)
        app.router.add_get("/v1/batches", self.list_batches)
        app.router.add_get("/v1/batches/{batch_id}", self.retrieve_batch)
        app.router.add_get("/_stats", self.report)
        app.router.add_post("/_reset", self.reset_handler)
        return app

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": "loopback-echo", "object": "model"}]}
        )

    async def report(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.to_dict())

    async def reset_handler(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        stats = self.stats
        stats.requests += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            response = await self._chat(request, stats)
        finally:
            stats.in_flight -= 1
        stats.statuses[response.status] += 1
        return response

    async def _chat(self, request: web.Request, stats: ServerStats) -> web.StreamResponse:
        faults = self.faults
        authorization = request.headers.get("Authorization", "")
        stats.authorizations.add(authorization)
        try:
            body = json.loads(await request.read())
            messages = [(m["role"], m["content"]) for m in body["messages"]]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            return web.json_response(
                error_body(f"bad request body: {error}", "invalid_request_error"), status=400
            )
        prompt = last_user_message(messages)
        stats.by_prompt[prompt] += 1
        response_format = body.get("response_format")
        stats.response_formats[
            response_format.get("type", "?") if isinstance(response_format, dict) else "none"
        ] += 1
        identity = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        self.attempts[identity] += 1

        if faults.api_key and authorization != f"Bearer {faults.api_key}":
            message = "Incorrect API key provided"
            if faults.echo_key:
                message += f": {authorization.removeprefix('Bearer ')} (header {authorization!r})"
            return web.json_response(error_body(message, "invalid_request_error"), status=401)
        delay = faults.latency_s + (
            self.random.uniform(0, faults.jitter_s) if faults.jitter_s else 0
        )
        if delay > 0:
            await asyncio.sleep(delay)
        if faults.reject_marker and faults.reject_marker in prompt:
            return web.json_response(
                error_body(
                    f"prompt refused: contains {faults.reject_marker}", "invalid_request_error"
                ),
                status=400,
            )
        if faults.hang_marker and faults.hang_marker in prompt:
            await asyncio.sleep(faults.hang_s)
        if self.attempts[identity] <= faults.fail_first:
            return self._fault_response(faults.fail_status)

        action = self._draw_action()
        if action == "429":
            return self._fault_response(429)
        if action == "5xx":
            return self._fault_response(self.random.choice((500, 502, 503)))
        if action == "timeout":
            await asyncio.sleep(faults.hang_s)
        elif action == "drop":
            if request.transport is not None:
                request.transport.abort()
            # nothing reaches the client; the status only labels the drop in the stats
            return web.Response(status=499)
        elif action == "malformed":
            return web.Response(
                status=200, text="<html>upstream gateway hiccup</html>", content_type="text/html"
            )

        structured = body.get("response_format") is not None
        content = self.reply(messages, body.get("seed"), structured)
        if faults.p_prose and self.random.random() < faults.p_prose:
            content = f"Sure! Here is what you asked for:\n```json\n{content}\n```\nHope it helps."
        response = web.json_response(completion_body(str(body.get("model", "")), content, prompt))
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionResetError:
            # the client went away (a killed run, a timeout): this reply never arrived
            stats.unsent += 1
            return response
        stats.completed += 1
        stats.completed_by_prompt[prompt] += 1
        stats.completion_order.append(prompt)
        return response

    # ---------------------------------------------------------------- Batch API

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        authorization = request.headers.get("Authorization", "")
        self.stats.authorizations.add(authorization)
        if self.faults.api_key and authorization != f"Bearer {self.faults.api_key}":
            return web.json_response(
                error_body("Incorrect API key provided", "invalid_request_error"), status=401
            )
        return None

    def _store_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = f"file-{len(self.files) + 1:06d}"
        info = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[file_id] = {"info": info, "data": data}
        return info

    async def upload_file(self, request: web.Request) -> web.Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        form = await request.post()
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, web.FileField) or not isinstance(purpose, str):
            return web.json_response(
                error_body(
                    "a multipart 'file' and 'purpose' are required", "invalid_request_error"
                ),
                status=400,
            )
        self.stats.files_uploaded += 1
        return web.json_response(self._store_file(upload.file.read(), upload.filename, purpose))

    async def file_info(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response(
                error_body("No such file", "invalid_request_error"), status=404
            )
        return web.json_response(stored["info"])

    async def file_content(self, request: web.Request) -> web.Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response(
                error_body("No such file", "invalid_request_error"), status=404
            )
        return web.Response(body=stored["data"], content_type="application/octet-stream")

    async def create_batch(self, request: web.Request) -> web.StreamResponse:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        try:
            payload = json.loads(await request.read())
            file_id = payload["input_file_id"]
            endpoint = payload["endpoint"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            return web.json_response(
                error_body(f"bad request body: {error}", "invalid_request_error"), status=400
            )
        stored = self.files.get(file_id)
        if stored is None or stored["info"]["purpose"] != "batch":
            return web.json_response(
                error_body(f"no batch input file {file_id}", "invalid_request_error"), status=400
            )
        if endpoint != "/v1/chat/completions" or payload.get("completion_window") != "24h":
            return web.json_response(
                error_body("unsupported endpoint or completion window", "invalid_request_error"),
                status=400,
            )
        try:
            lines = [json.loads(text) for text in stored["data"].decode().splitlines() if text]
            custom_ids = [str(line["custom_id"]) for line in lines]
            if any(line["url"] != endpoint or line["method"] != "POST" for line in lines):
                raise ValueError("every line must POST to the batch's endpoint")
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            return web.json_response(
                error_body(f"invalid batch input file: {error}", "invalid_request_error"),
                status=400,
            )
        if len(set(custom_ids)) != len(custom_ids):
            return web.json_response(
                error_body("duplicate custom_id in the input file", "invalid_request_error"),
                status=400,
            )
        self.stats.batches_created += 1
        self.stats.batch_submissions.update(custom_ids)
        now = int(time.time())
        batch_id = f"batch_{len(self.batches) + 1:06d}"
        batch: dict[str, Any] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": endpoint,
            "errors": None,
            "input_file_id": file_id,
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 86_400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": payload.get("metadata"),
            "_due": time.monotonic() + self.faults.batch_delay_s,
        }
        self.batches[batch_id] = batch
        self.batch_lines[batch_id] = lines
        if self.stats.batches_created <= self.faults.batch_drop_create:
            # the batch exists, but its creator never hears so
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)
        return web.json_response(_public(batch))

    async def list_batches(self, request: web.Request) -> web.Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        limit = int(request.query.get("limit", "20"))
        after = request.query.get("after")
        ordered = sorted(self.batches.values(), key=lambda b: b["id"], reverse=True)
        if after:
            ordered = [batch for batch in ordered if batch["id"] < after]
        page = [_public(self._advance(batch)) for batch in ordered[:limit]]
        return web.json_response(
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": len(ordered) > limit,
            }
        )

    async def retrieve_batch(self, request: web.Request) -> web.Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        batch = self.batches.get(request.match_info["batch_id"])
        if batch is None:
            return web.json_response(
                error_body("No such batch", "invalid_request_error"), status=404
            )
        self.stats.batch_retrievals += 1
        return web.json_response(_public(self._advance(batch)))

    def _advance(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Move a batch along: validating -> in_progress (or failed) -> completed/expired."""
        if batch["status"] in ("completed", "failed", "expired", "cancelled"):
            return batch
        faults, lines = self.faults, self.batch_lines[batch["id"]]
        now = int(time.time())
        prompts = [
            last_user_message([(m["role"], m["content"]) for m in line["body"]["messages"]])
            for line in lines
        ]
        if batch["status"] == "validating":
            failing = [
                index
                for index, prompt in enumerate(prompts)
                if faults.batch_fail_marker and faults.batch_fail_marker in prompt
            ]
            if failing:
                batch.update(status="failed", failed_at=now)
                batch["errors"] = {
                    "object": "list",
                    "data": [
                        {
                            "code": "invalid_request",
                            "message": f"line {index + 1} carries {faults.batch_fail_marker}",
                            "line": index + 1,
                            "param": None,
                        }
                        for index in failing
                    ],
                }
                return batch
            batch.update(status="in_progress", in_progress_at=now)
        if time.monotonic() < batch["_due"]:
            return batch
        marker = faults.batch_expire_marker
        expired = bool(marker) and any(marker in prompt for prompt in prompts)
        outputs: list[str] = []
        errors: list[str] = []
        for line in lines:
            answered, record = batch_line_reply(line, faults, expired)
            (outputs if answered else errors).append(json.dumps(record))
        if outputs:
            name = f"{batch['id']}_output.jsonl"
            data = ("\n".join(outputs) + "\n").encode()
            batch["output_file_id"] = self._store_file(data, name, "batch_output")["id"]
        if errors:
            name = f"{batch['id']}_error.jsonl"
            data = ("\n".join(errors) + "\n").encode()
            batch["error_file_id"] = self._store_file(data, name, "batch_output")["id"]
        batch["request_counts"] = {
            "total": len(lines),
            "completed": len(outputs),
            "failed": len(errors),
        }
        if expired:
            batch.update(status="expired", expired_at=now)
        else:
            batch.update(status="completed", finalizing_at=now, completed_at=now)
        return batch

    def _draw_action(self) -> str:
        """One of reply, 429, 5xx, timeout, drop, malformed, at the configured rates."""
        faults = self.faults
        draw = self.random.random()
        for share, action in (
            (faults.p_429, "429"),
            (faults.p_5xx, "5xx"),
            (faults.p_timeout, "timeout"),
            (faults.p_drop, "drop"),
            (faults.p_malformed, "malformed"),
        ):
            if draw < share:
                return action
            draw -= share
        return "reply"

    def _fault_response(self, status: int) -> web.Response:
        if status == 429:
            wait = self.faults.retry_after_s
            return web.json_response(
                error_body("Rate limit reached; slow down", "rate_limit_exceeded"),
                status=429,
                headers={"Retry-After": f"{wait:g}", "retry-after-ms": f"{wait * 1000:.0f}"},
            )
        return web.json_response(
            error_body(f"injected server error {status}", "server_error"), status=status
        )


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in batch.items() if not name.startswith("_")}


class LoopbackServer:
    """The chat server in a background thread of this process; a context manager."""

    def __init__(
        self, faults: Faults | None = None, port: int = 0, reply: ReplyFunction | None = None
    ) -> None:
        self.faults = faults or Faults()
        self._requested_port = port
        self._app = _ChatApp(self.faults, reply)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def stats(self) -> ServerStats:
        return self._app.stats

    def reset(self) -> None:
        loop = self._loop
        if loop is None:
            self._app.reset()
            return
        asyncio.run_coroutine_threadsafe(self._reset(), loop).result(timeout=10)

    async def _reset(self) -> None:
        self._app.reset()

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._serve, name="loopback-llm", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("loopback server did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"loopback server failed to start: {self._error}") from self._error
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as error:
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _start_site(self) -> None:
        self._runner = web.AppRunner(self._app.build(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self._requested_port, backlog=4096, shutdown_timeout=0.5
        )
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LoopbackServerProcess:
    """The chat server as a child process (its own interpreter and core); stats over HTTP."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LoopbackServerProcess:
        arguments = []
        for item in fields(Faults):
            arguments += [f"--{item.name.replace('_', '-')}", str(getattr(self.faults, item.name))]
        self._process = subprocess.Popen(
            [sys.executable, __file__, *arguments],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("LISTENING "):
            self._process.kill()
            raise RuntimeError(f"loopback server process did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stats", timeout=30) as reply:
            return dict(json.loads(reply.read()))

    def reset(self) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/_reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    defaults = asdict(Faults())
    for item in fields(Faults):
        kind = type(defaults[item.name])
        parser.add_argument(
            f"--{item.name.replace('_', '-')}", type=kind, default=defaults[item.name]
        )
    options = vars(parser.parse_args(argv))
    port = options.pop("port")
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    server = LoopbackServer(Faults(**options), port=port).start()
    print(f"LISTENING {server.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
