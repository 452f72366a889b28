"""The monthly budget: cost from catalogue prices, refusal at the limit, a new month resets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.errors import RateLimited
from gateway.exchange import Usage
from gateway.limits import BudgetLedger, ProcessLimits
from gateway.limits.budget import cost_usd
from gateway.policy.schema import Limits, Price


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_cost_follows_the_catalogue_price() -> None:
    price = Price(input_per_1k=0.0025, output_per_1k=0.01)
    assert cost_usd(Usage(2000, 500), price) == pytest.approx(0.005 + 0.005)
    assert cost_usd(Usage(2000, 500), Price()) == 0


def test_over_budget_is_429_until_the_month_ends() -> None:
    clock, limits = Clock(), Limits(monthly_budget_usd=1.0)
    ledger = BudgetLedger(clock)
    ledger.preload({"acme": 0.6})
    ledger.check("acme", limits)
    ledger.add("acme", 0.4)
    with pytest.raises(RateLimited) as caught:
        ledger.check("acme", limits)
    assert caught.value.code == "budget_exceeded" and caught.value.retry_after_seconds == 3600
    ledger.check("other", limits)  # tenants do not share a budget
    clock.now = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)
    ledger.check("acme", limits)  # a new month
    assert ledger.spent("acme") == 0


async def test_a_refused_request_takes_no_place_in_the_rate_window() -> None:
    limits = Limits(monthly_budget_usd=0.0, requests_per_minute=1)
    stage = ProcessLimits()
    with pytest.raises(RateLimited, match="budget"):
        await stage.admit("acme", limits)
    await stage.admit("acme", Limits(requests_per_minute=1))  # the window is still empty


async def test_the_budget_starts_from_the_month_spend() -> None:
    stage = ProcessLimits(month_spend=lambda: {"acme": 5.0})
    await stage.start()
    with pytest.raises(RateLimited, match="budget"):
        await stage.admit("acme", Limits(monthly_budget_usd=5.0))
    await stage.admit("acme", Limits(monthly_budget_usd=5.01))
