"""Sliding one-minute windows of requests and tokens per tenant, in this process (`limits/shared.py`
shares them across processes through Redis).

Per process on purpose: it needs no shared store and errs towards letting a burst through
when several workers serve one tenant (each enforces the whole limit). Tokens are counted when
an answer completes, so a request is admitted while the tenant's last minute is under its limit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.errors import RateLimited
from gateway.policy.schema import Limits

WINDOW_SECONDS = 60.0


@dataclass
class _TenantWindow:
    requests: deque[float] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)
    token_total: int = 0

    def expire(self, now: float) -> None:
        horizon = now - WINDOW_SECONDS
        while self.requests and self.requests[0] <= horizon:
            self.requests.popleft()
        while self.tokens and self.tokens[0][0] <= horizon:
            self.token_total -= self.tokens.popleft()[1]


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, _TenantWindow] = {}

    def admit(self, tenant: str, limits: Limits) -> None:
        """Count one request for `tenant`, or raise RateLimited (429) with a Retry-After."""
        if limits.requests_per_minute is None and limits.tokens_per_minute is None:
            return
        now = self._clock()
        window = self._windows.setdefault(tenant, _TenantWindow())
        window.expire(now)
        if limits.requests_per_minute is not None and len(window.requests) >= limits.requests_per_minute:
            raise RateLimited(
                "Rate limit reached: requests per minute.",
                retry_after_seconds=_until_expiry(window.requests[0], now),
            )
        if limits.tokens_per_minute is not None and window.token_total >= limits.tokens_per_minute:
            raise RateLimited(
                "Rate limit reached: tokens per minute.",
                retry_after_seconds=_until_expiry(window.tokens[0][0], now),
            )
        window.requests.append(now)

    def spend(self, tenant: str, tokens: int, limits: Limits) -> None:
        if limits.tokens_per_minute is None or tokens <= 0:
            return
        window = self._windows.setdefault(tenant, _TenantWindow())
        window.tokens.append((self._clock(), tokens))
        window.token_total += tokens


def _until_expiry(oldest: float, now: float) -> int:
    return max(1, math.ceil(oldest + WINDOW_SECONDS - now))
