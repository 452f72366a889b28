"""Month-to-date token counts per tenant and served model, read back from the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, func, select

from gateway.db.models import AuditRecordRow
from gateway.exchange import Usage
from gateway.limits.budget import cost_usd, month_start
from gateway.policy.schema import ModelEntry


def month_to_date_spend(engine: Engine, models: Mapping[str, ModelEntry], now: datetime) -> dict[str, float]:
    start = month_start(now)
    row = AuditRecordRow
    query = (
        select(row.tenant, row.model_served, func.sum(row.prompt_tokens), func.sum(row.completion_tokens))
        .where(row.started_at >= start, row.tenant.is_not(None), row.model_served.is_not(None))
        .group_by(row.tenant, row.model_served)
    )
    spent: dict[str, float] = {}
    with engine.connect() as connection:
        for tenant, model, prompt, completion in connection.execute(query):
            entry = models.get(model or "")
            if entry is not None and tenant is not None:
                usage = Usage(int(prompt or 0), int(completion or 0))
                spent[tenant] = spent.get(tenant, 0.0) + cost_usd(usage, entry.price)
    return spent
