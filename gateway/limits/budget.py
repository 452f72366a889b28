"""Monthly spend per tenant, in USD, against `limits.monthly_budget_usd`.

Cost = tokens times the served model's catalogue price (`price.input_per_1k`, `output_per_1k`; the
local model costs nothing unless priced). The month is the UTC calendar month. At start the
ledger is filled from the audit log's month-to-date token counts, so a restart forgets nothing;
after that each process adds what it serves. Several processes each see their own spend plus the
start-up total, so with N workers a tenant can overshoot by what the others served since start,
unless the spend is shared through Redis (`limits/shared.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from gateway.errors import RateLimited
from gateway.exchange import Usage
from gateway.policy.schema import Limits, Price


def cost_usd(usage: Usage, price: Price) -> float:
    return (
        usage.prompt_tokens / 1000 * price.input_per_1k + usage.completion_tokens / 1000 * price.output_per_1k
    )


def month_of(moment: datetime) -> tuple[int, int]:
    return moment.year, moment.month


def seconds_until_next_month(now: datetime) -> int:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return max(1, int((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds()))


def month_start(moment: datetime) -> datetime:
    """The start of `moment`'s UTC calendar month: what a monthly budget counts from."""
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


class BudgetLedger:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._month = month_of(clock())
        self._spent: dict[str, float] = {}

    def preload(self, spent: Mapping[str, float]) -> None:
        """Month-to-date spend found in the audit log at start."""
        for tenant, usd in spent.items():
            self._spent[tenant] = self._spent.get(tenant, 0.0) + usd

    def check(self, tenant: str, limits: Limits) -> None:
        if limits.monthly_budget_usd is None:
            return
        self._roll_over()
        if self._spent.get(tenant, 0.0) >= limits.monthly_budget_usd:
            raise RateLimited(
                "Monthly budget reached.",
                code="budget_exceeded",
                retry_after_seconds=seconds_until_next_month(self._clock()),
            )

    def add(self, tenant: str, usd: float) -> None:
        if usd > 0:
            self._roll_over()
            self._spent[tenant] = self._spent.get(tenant, 0.0) + usd

    def spent(self, tenant: str) -> float:
        self._roll_over()
        return self._spent.get(tenant, 0.0)

    def _roll_over(self) -> None:
        month = month_of(self._clock())
        if month != self._month:
            self._month, self._spent = month, {}
