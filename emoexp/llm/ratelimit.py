"""Client-side request and token budgets, so a run stays under a provider's per-minute
limits instead of learning them from a wall of 429s."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Refills at `per_minute / 60` units a second and holds at most one second's worth,
    which keeps the flow smooth rather than front-loading a minute's budget."""

    def __init__(self, per_minute: float) -> None:
        if per_minute <= 0:
            raise ValueError(f"a rate limit must be positive, got {per_minute}")
        self.rate_per_s = per_minute / 60.0
        self.capacity = max(1.0, self.rate_per_s)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until `amount` fits (a request larger than the bucket waits for a full one
        and leaves the bucket in debt), first come first served."""
        async with self._lock:
            needed = min(amount, self.capacity)
            self._refill()
            while self._tokens < needed:
                await asyncio.sleep((needed - self._tokens) / self.rate_per_s)
                self._refill()
            self._tokens -= amount
