"""Limits counted in this process only: what runs when no Redis is configured.

Each process enforces the whole limit on what it serves itself, so with several processes a
tenant can get up to (processes x limit); the budget starts from the audit log's month-to-date
spend and each process adds its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gateway.exchange import Usage
from gateway.limits.budget import BudgetLedger, cost_usd
from gateway.limits.window import RateLimiter
from gateway.policy.schema import Limits, Price
from gateway.telemetry.spans import stage

log = logging.getLogger(__name__)


@dataclass
class ProcessLimits:
    rates: RateLimiter = field(default_factory=RateLimiter)
    budget: BudgetLedger = field(default_factory=BudgetLedger)
    month_spend: Callable[[], Mapping[str, float]] | None = None

    async def start(self) -> None:
        """This month's spend so far, from the audit log, so budgets survive a restart."""
        if self.month_spend is None:
            return
        try:
            spent = await asyncio.to_thread(self.month_spend)
        except Exception as exc:  # budgets then count from zero; the type says why
            log.error("could not read this month's spend from the audit log: %s", type(exc).__name__)
            return
        self.budget.preload(spent)

    async def admit(self, tenant: str, limits: Limits) -> None:
        with stage("limits"):
            self.admit_now(tenant, limits)

    def admit_now(self, tenant: str, limits: Limits) -> None:
        self.budget.check(tenant, limits)  # first: a refused request takes no place in the window
        self.rates.admit(tenant, limits)

    def spend(self, tenant: str, usage: Usage, price: Price, limits: Limits) -> None:
        self.rates.spend(tenant, usage.total, limits)
        self.budget.add(tenant, cost_usd(usage, price))

    async def aclose(self) -> None:
        return None
