"""Rate limits: a fake clock walks the one-minute window."""

from __future__ import annotations

import pytest

from gateway.errors import RateLimited
from gateway.limits import RateLimiter
from gateway.policy.schema import Limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_per_minute() -> None:
    clock, limits = Clock(), Limits(requests_per_minute=2)
    limiter = RateLimiter(clock)
    limiter.admit("a", limits)
    clock.now += 10
    limiter.admit("a", limits)
    with pytest.raises(RateLimited) as caught:
        limiter.admit("a", limits)
    assert caught.value.status_code == 429 and caught.value.retry_after_seconds == 50
    limiter.admit("b", limits)  # tenants do not share a window
    clock.now += 50
    limiter.admit("a", limits)  # the first request left the window


def test_tokens_per_minute() -> None:
    clock, limits = Clock(), Limits(tokens_per_minute=100)
    limiter = RateLimiter(clock)
    limiter.admit("a", limits)
    limiter.spend("a", 100, limits)
    with pytest.raises(RateLimited, match="tokens"):
        limiter.admit("a", limits)
    clock.now += 60
    limiter.admit("a", limits)


def test_no_limits_means_no_bookkeeping() -> None:
    limiter = RateLimiter(Clock())
    for _ in range(1000):
        limiter.admit("a", Limits())
