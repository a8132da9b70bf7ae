"""A deterministic in-process backend for tests: no model, no network, same cache path."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from emoexp.llm.base import Answer, CachedBatchBackend, PendingRequest
from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.echo import echo_reply
from emoexp.llm.types import ChatRequest

# reply(request, seed) -> text; raising ValueError makes that one request a failure
ReplyFunction = Callable[[ChatRequest, int], str]


class FakeBackend(CachedBatchBackend):
    """Answers from `reply` (default: an echo of the prompt), or cycles through canned
    `replies`. Counts what it was really asked, so tests can see cache hits skip it."""

    def __init__(
        self,
        cfg: LLMConfig | None = None,
        cache: ResponseCache | None = None,
        *,
        reply: ReplyFunction | None = None,
        replies: Sequence[str] | None = None,
    ) -> None:
        cfg = cfg or LLMConfig(backend="fake", model="fake-echo", progress=False)
        super().__init__(cfg, cache)
        if reply is not None and replies is not None:
            raise ValueError("give the fake backend either `reply` or `replies`, not both")
        self._reply = reply
        self._replies = list(replies) if replies is not None else None
        if self._replies is not None and not self._replies:
            raise ValueError("`replies` must hold at least one reply")
        self.calls = 0
        self.batches = 0
        self.seen: list[ChatRequest] = []

    def _answer_batch(self, batch: Sequence[PendingRequest]) -> list[Answer]:
        self.batches += 1
        answers = []
        for pending in batch:
            self.calls += 1
            self.seen.append(pending.request)
            try:
                text = self._text_for(pending)
            except ValueError as error:
                answers.append(Answer(text=None, error=f"fake backend refused: {error}"))
                continue
            answers.append(
                Answer(
                    text=text,
                    prompt_tokens=sum(len(c.split()) for _, c in pending.request.messages),
                    completion_tokens=len(text.split()),
                    finish_reason="stop",
                )
            )
        return answers

    def _text_for(self, pending: PendingRequest) -> str:
        if self._replies is not None:
            return self._replies[(self.calls - 1) % len(self._replies)]
        if self._reply is not None:
            return self._reply(pending.request, pending.sampling.seed)
        structured = pending.sampling.response_format is not None
        return echo_reply(pending.request.messages, pending.sampling.seed, structured)
