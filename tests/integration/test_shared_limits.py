"""Limits shared through a real redis-server: two `SharedLimits` stand for two processes (or
replicas) of the fleet; the counts hold across them, and an outage fails closed on budgets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.errors import LimitsUnavailable, RateLimited
from gateway.exchange import Usage
from gateway.limits.shared import SharedLimits
from gateway.policy.schema import Limits, Price
from tests.services_on_demand import RedisServer, redis_server

PRICE = Price(input_per_1k=1.0, output_per_1k=1.0)  # 1 USD per 1,000 tokens: easy sums


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


async def outcome(limits: SharedLimits, tenant: str, policy: Limits) -> str:
    try:
        await limits.admit(tenant, policy)
    except RateLimited as refused:
        return refused.code
    except LimitsUnavailable as refused:
        return refused.code
    return "ok"


async def settle(*fleet: SharedLimits) -> None:
    """Let the spend each process sent in the background reach Redis."""
    for limits in fleet:
        for task in list(limits._pending):
            await task


async def test_requests_per_minute_hold_across_processes(redis: RedisServer) -> None:
    one, two = SharedLimits(redis.url), SharedLimits(redis.url)
    policy = Limits(requests_per_minute=30)
    results = [await outcome((one, two)[turn % 2], "acme", policy) for turn in range(60)]
    assert results.count("ok") == 30 and results.count("rate_limit_exceeded") == 30
    assert await outcome(one, "other", policy) == "ok"  # tenants do not share a window
    await one.aclose()
    await two.aclose()


async def test_tokens_and_budget_hold_across_processes(redis: RedisServer) -> None:
    spent_before = {"acme": 0.990}  # what the audit log says this month's spend is
    one = SharedLimits(redis.url, month_spend=lambda: spent_before)
    two = SharedLimits(redis.url, month_spend=lambda: {"acme": 123.0})  # seeded once, by `one`
    tokens = Limits(tokens_per_minute=100)
    assert await outcome(one, "acme", tokens) == "ok"
    one.spend("acme", Usage(60, 40), PRICE, tokens)
    await settle(one)
    assert await outcome(two, "acme", tokens) == "rate_limit_exceeded"

    budget = Limits(monthly_budget_usd=1.0)
    assert await outcome(one, "acme", budget) == "ok"  # seeds the month: 0.990 spent of 1.0
    assert await outcome(two, "acme", budget) == "ok"
    two.spend("acme", Usage(10, 0), PRICE, budget)  # 0.010 more, served by the other process
    await settle(two)
    assert await outcome(one, "acme", budget) == "budget_exceeded"
    await one.aclose()
    await two.aclose()


async def test_redis_down_fails_closed_on_budgets_it_cannot_know(redis: RedisServer) -> None:
    limits = SharedLimits(redis.url, month_spend=lambda: {"known": 0.5, "spent": 2.0})
    budget = Limits(monthly_budget_usd=1.0, requests_per_minute=2)
    assert await outcome(limits, "known", budget) == "ok"
    assert await outcome(limits, "spent", budget) == "budget_exceeded"
    redis.stop()

    assert await outcome(limits, "known", budget) == "ok"  # last read: 0.5 of 1.0
    assert await outcome(limits, "spent", budget) == "budget_exceeded"
    assert await outcome(limits, "never-seen", budget) == "limits_unavailable"
    assert await outcome(limits, "no-budget", Limits(requests_per_minute=2)) == "ok"
    limits.spend("known", Usage(500, 0), PRICE, budget)  # served during the outage: now 1.0
    assert await outcome(limits, "known", budget) == "budget_exceeded"
    assert await outcome(limits, "no-budget", Limits(requests_per_minute=2)) == "ok"
    # per process during the outage: the window started empty and holds the whole limit
    assert await outcome(limits, "no-budget", Limits(requests_per_minute=2)) == "rate_limit_exceeded"

    redis.start()  # back, and empty: the month is seeded again from the audit log
    limits._skip_until = 0.0  # do not wait out the pause between reconnection attempts
    assert await outcome(limits, "spent", budget) == "budget_exceeded"
    assert await outcome(limits, "known", budget) == "budget_exceeded"  # outage spend added
    other = SharedLimits(redis.url)
    assert await outcome(other, "known", Limits(monthly_budget_usd=1.0)) == "budget_exceeded"
    await limits.aclose()
    await other.aclose()
