"""Which audit records a reviewer asks for: one filter shared by the CLI, the API and the page.

Findings and check outcomes are JSON lists; matching an element inside them is dialect SQL
(PostgreSQL jsonb containment, SQLite json_each), kept here so callers never see the difference.

A request that reached a provider has several chain entries (egress entries, then its outcome
entry); readers see one row a request, its latest entry, unless they ask for `entries="all"`.
An egress entry that is still the latest says "sent, outcome unknown".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, bindparam, cast, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from gateway.db.models import AuditRecordRow

ALL_TENANTS = "*"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    tenant: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    status_code: int | None = None
    outcome: str | None = None
    location: str | None = None  # cloud | local: any place the request's data was sent
    endpoint: str | None = None
    model: str | None = None  # served or requested
    entity: str | None = None  # a finding's kind, e.g. US_SSN
    check: str | None = None  # "pii" or "pii:failed" (check name, optionally its status)
    request_id: str | None = None
    include_purged: bool = False
    entries: Literal["latest", "all"] = "latest"  # one row a request, or every chain entry
    # Reviewer scope: None sees every record, a tuple only these tenants' records.
    scope: tuple[str, ...] | None = None

    def scoped(self, tenants: tuple[str, ...]) -> AuditFilter:
        return replace(self, scope=None if ALL_TENANTS in tenants else tenants)

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        table = AuditRecordRow
        found: list[ColumnElement[bool]] = []
        equal: dict[Any, object] = {
            table.tenant: self.tenant,
            table.status_code: self.status_code,
            table.outcome: self.outcome,
            table.endpoint: self.endpoint,
            table.request_id: self.request_id,
        }
        for column, value in equal.items():
            if value is not None:
                found.append(column == value)
        if self.since is not None:
            found.append(table.started_at >= self.since)
        if self.until is not None:
            found.append(table.started_at < self.until)
        if self.location is not None:  # a failed attempt counts: the data did reach it
            reached = json_list_has(table.destinations, {"location": self.location}, dialect, "destination")
            found.append(or_(table.location == self.location, reached))
        if self.entries == "latest":
            later = aliased(AuditRecordRow)
            found.append(
                ~exists(
                    select(literal_column("1"))
                    .select_from(later)
                    .where(later.request_id == table.request_id, later.seq > table.seq)
                )
            )
        if self.model is not None:
            found.append(or_(table.model_served == self.model, table.model_requested == self.model))
        if not self.include_purged:
            found.append(table.purged_at.is_(None))
        if self.scope is not None:
            found.append(table.tenant.in_(self.scope))
        if self.entity is not None:
            found.append(json_list_has(table.findings, {"kind": self.entity}, dialect, "entity"))
        if self.check is not None:
            name, _, status = self.check.partition(":")
            wanted = {"check": name, **({"status": status} if status else {})}
            found.append(json_list_has(table.checks, wanted, dialect, "check"))
        return found

    def apply(self, query: Select[Any], dialect: str) -> Select[Any]:
        conditions = self.conditions(dialect)
        return query.where(and_(*conditions)) if conditions else query


def json_list_has(column: Any, wanted: dict[str, str], dialect: str, name: str) -> ColumnElement[bool]:
    """True where the JSON list in `column` holds an object with all of `wanted`'s pairs."""
    if dialect == "postgresql":
        return cast(column, JSONB).contains([wanted])
    element = func.json_each(column).table_valued("value").alias(f"{name}_element")
    matches = [
        func.json_extract(element.c.value, f"$.{key}") == bindparam(f"{name}_{key}", value)
        for key, value in wanted.items()
    ]
    return exists(select(literal_column("1")).select_from(element).where(*matches))


def parse_time(text: str | None) -> datetime | None:
    """ISO-8601 date or time; a naive value means UTC (every stored time is UTC)."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def describe(where: AuditFilter) -> str:
    """The filter as `key=value` pairs, for report headers."""
    values = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key in AuditFilter.__slots__  # type: ignore[attr-defined]
        if (value := getattr(where, key)) not in (None, False) and key != "scope"
    }
    return json.dumps(values, sort_keys=True) if values else "{}"
