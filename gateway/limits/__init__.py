"""The limits stage, per tenant: request and token rates (`window`) and the monthly budget."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.exchange import Usage
from gateway.limits.budget import BudgetLedger, cost_usd
from gateway.limits.window import RateLimiter
from gateway.policy.schema import Limits, Price

__all__ = ["BudgetLedger", "RateLimiter", "TenantLimits"]


@dataclass
class TenantLimits:
    rates: RateLimiter = field(default_factory=RateLimiter)
    budget: BudgetLedger = field(default_factory=BudgetLedger)

    def admit(self, tenant: str, limits: Limits) -> None:
        """Raise RateLimited (429 + Retry-After) when the tenant is over a limit."""
        self.budget.check(tenant, limits)  # first: a refused request takes no place in the window
        self.rates.admit(tenant, limits)

    def spend(self, tenant: str, usage: Usage, price: Price, limits: Limits) -> None:
        self.rates.spend(tenant, usage.total, limits)
        self.budget.add(tenant, cost_usd(usage, price))
