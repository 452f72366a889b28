"""Retention: expired records become tombstones, so the chain outlives what it records.

A tombstone keeps only what verification needs: `seq`, `request_id`, `started_at` (both bound
into the link hash), `content_hash`, `prev_hash`, `record_hash`, plus `purged_at`. Every other
field, tenant included, is set to NULL. Retention is per tenant (`audit.retention_days`), never
shorter than MIN_RETENTION_DAYS whatever a policy says: verification reports a tombstone
younger than that as a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, null, or_, select, update
from sqlalchemy.sql import func

from gateway.audit.verify import MIN_RETENTION_DAYS
from gateway.db.models import AuditRecordRow

KEPT = frozenset({"seq", "request_id", "started_at", "content_hash", "prev_hash", "record_hash", "purged_at"})
UNATTRIBUTED = "(no tenant)"


@dataclass(slots=True)
class PurgePlan:
    cutoffs: dict[str, datetime] = field(default_factory=dict)  # tenant -> purge what started before
    default_cutoff: datetime | None = None  # records of no tenant or of a tenant without a policy
    floored: list[str] = field(default_factory=list)  # tenants whose policy asked for less


def plan_purge(retention_days: Mapping[str, int], default_days: int, now: datetime) -> PurgePlan:
    plan = PurgePlan()
    for tenant, days in sorted(retention_days.items()):
        if days < MIN_RETENTION_DAYS:
            plan.floored.append(tenant)
        plan.cutoffs[tenant] = now - timedelta(days=max(days, MIN_RETENTION_DAYS))
    plan.default_cutoff = now - timedelta(days=max(default_days, MIN_RETENTION_DAYS))
    return plan


def _expired(plan: PurgePlan) -> dict[str, ColumnElement[bool]]:
    table = AuditRecordRow
    live = table.purged_at.is_(None)
    conditions = {
        tenant: and_(live, table.tenant == tenant, table.started_at < cutoff)
        for tenant, cutoff in plan.cutoffs.items()
    }
    if plan.default_cutoff is not None:
        conditions[UNATTRIBUTED] = and_(
            live,
            or_(table.tenant.is_(None), table.tenant.not_in(list(plan.cutoffs))),
            table.started_at < plan.default_cutoff,
        )
    return conditions


def purge(engine: Engine, plan: PurgePlan, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Tombstone every expired record; returns how many, per tenant."""
    table = AuditRecordRow
    cleared = {c.name: null() for c in table.__table__.columns if c.name not in KEPT}
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for tenant, condition in _expired(plan).items():
            if dry_run:
                counts[tenant] = int(
                    connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
                )
                continue
            result = connection.execute(update(table).where(condition).values(**cleared, purged_at=now))
            counts[tenant] = int(result.rowcount or 0)
    return counts
