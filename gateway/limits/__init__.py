"""The limits stage, per tenant: request and token rates and the monthly budget.

Two implementations of one interface: `ProcessLimits` counts in this process (the embedded
default, no shared store), `SharedLimits` counts in Redis for every process of every replica
(`GATEWAY_REDIS_URL`). `limits_for(settings, ...)` picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from gateway.exchange import Usage
from gateway.limits.budget import BudgetLedger
from gateway.limits.process import ProcessLimits
from gateway.limits.window import RateLimiter
from gateway.policy.schema import Limits, Price
from gateway.settings import Settings

__all__ = ["BudgetLedger", "ProcessLimits", "RateLimiter", "TenantLimits", "limits_for"]

MonthSpend = Callable[[], Mapping[str, float]]


class TenantLimits(Protocol):
    async def start(self) -> None:
        """Called once the process serves: load what counting needs."""

    async def admit(self, tenant: str, limits: Limits) -> None:
        """Count one request, or raise RateLimited (429 + Retry-After) when over a limit."""

    def spend(self, tenant: str, usage: Usage, price: Price, limits: Limits) -> None:
        """Count an answer's tokens and cost (never blocks the request that spent them)."""

    async def aclose(self) -> None: ...


def limits_for(settings: Settings, month_spend: MonthSpend | None = None) -> TenantLimits:
    """`month_spend`: this month's spend per tenant from the audit log, what budgets start from."""
    if settings.redis_url:
        from gateway.limits.shared import SharedLimits

        return SharedLimits(settings.redis_url, month_spend)
    return ProcessLimits(month_spend=month_spend)
