"""Tokens a second of the embedded SmolLM2 backend, batched versus one prompt at a time.

Both runs answer the same prompts with the same per-request seeds and no cache, so they
generate the same texts; only the batch size differs.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_local_batching.py
    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_local_batching.py --prompts 32 --batch-size 16
    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_local_batching.py --dtype bfloat16
"""

from __future__ import annotations

import argparse
import logging
import time

from emoexp.llm.config import LLMConfig
from emoexp.llm.local import LocalBackend
from emoexp.llm.types import ChatRequest

EMOTIONS = ("joy", "anger", "fear", "sadness", "surprise", "love", "disgust", "gratitude")


def requests_for(count: int) -> list[ChatRequest]:
    return [
        ChatRequest(
            messages=(
                ("user", f"Write one short social media post that expresses {EMOTIONS[i % 8]}."),
            ),
            sample_index=i // len(EMOTIONS),
        )
        for i in range(count)
    ]


def run(
    batch_size: int, count: int, max_tokens: int, device: str, dtype: str
) -> tuple[float, int, list]:
    cfg = LLMConfig(
        max_tokens=max_tokens, batch_size=batch_size, device=device, dtype=dtype, progress=False
    )
    backend = LocalBackend(cfg, cache=None)
    backend.load()
    backend.generate(requests_for(1))  # warm-up: first-call allocations
    started = time.perf_counter()
    results = backend.generate(requests_for(count))
    elapsed = time.perf_counter() - started
    return elapsed, sum(r.completion_tokens for r in results), [r.text for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto", help="auto, float32, bfloat16")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    figures = {}
    for batch_size in (args.batch_size, 1):
        elapsed, tokens, texts = run(
            batch_size, args.prompts, args.max_tokens, args.device, args.dtype
        )
        figures[batch_size] = (tokens / elapsed, texts)
        print(
            f"batch {batch_size:>3}: {tokens} tokens in {elapsed:6.1f} s ="
            f" {tokens / elapsed:6.1f} tokens/s",
            flush=True,
        )
    batched, single = figures[args.batch_size], figures[1]
    same = sum(a == b for a, b in zip(batched[1], single[1], strict=True))
    print(
        f"speed-up {batched[0] / single[0]:.1f}x (target >= 4x);"
        f" identical texts in both runs: {same} of {args.prompts}"
    )


if __name__ == "__main__":
    main()
