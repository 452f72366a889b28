"""Summaries of a period for reviewers: requests by tenant, location and status; findings by
entity type and location, with how many were sent on unchanged.

Per check (`checks` of each record): how many requests each check passed, flagged, rewrote,
blocked or failed, per tenant ("how many requests did prompt_injection block last week, per
tenant"); and for `action: shadow`, how many runs would have blocked: the would-block rate an
admin reads before switching a check from shadow to block. `skipped` outcomes are not counted.

"Sent unchanged" counts records whose request was routed (so content left for `location`) while
the finding's action left the value as it was (allow, flag, local_only). A US_SSN finding with
action `redact` at `cloud` means the cloud saw `<US_SSN>`, not the number. Findings count at
every location the request's data reached (`destinations`): a cloud attempt that failed and
fell back to the local model counts at `cloud` and at `local`.

Over time (`bucket` = hour or day, UTC): requests by destination, where a request that was
routed counts at its final location and one that was not at its outcome (blocked, rejected,
error...): each request once, by its latest entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from gateway.audit.filters import AuditFilter
from gateway.db.models import AuditRecordRow

UNCHANGED_ACTIONS = frozenset({"allow", "flag", "local_only"})
UNKNOWN_OUTCOME = "sent, outcome unknown"

FindingKey = tuple[str, str, str, str]  # check, kind, location, action
CheckKey = tuple[str, str, str]  # check, stage, tenant
Bucket = Literal["hour", "day"]


@dataclass(slots=True)
class Report:
    total: int = 0
    by_tenant: Counter[str] = field(default_factory=Counter)
    by_location: Counter[str] = field(default_factory=Counter)
    by_status: Counter[tuple[int, str]] = field(default_factory=Counter)
    finding_records: Counter[FindingKey] = field(default_factory=Counter)
    finding_occurrences: Counter[FindingKey] = field(default_factory=Counter)
    sent_unchanged: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, location)
    check_outcomes: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # + status
    shadow_runs: Counter[CheckKey] = field(default_factory=Counter)
    shadow_would_block: Counter[CheckKey] = field(default_factory=Counter)
    by_time: Counter[tuple[datetime, str]] = field(default_factory=Counter)  # (bucket start, destination)

    def would_block_rate(self, key: CheckKey) -> float:
        runs = self.shadow_runs[key]
        return self.shadow_would_block[key] / runs if runs else 0.0

    def exposed(self, location: str | None = None) -> int:
        return sum(n for (_, where), n in self.sent_unchanged.items() if location in (None, where))


def _grouped(engine: Engine, where: AuditFilter, *columns: Any) -> Iterable[tuple[Any, ...]]:
    query = where.apply(select(*columns, func.count()).select_from(AuditRecordRow), engine.dialect.name)
    with engine.connect() as connection:
        return connection.execute(query.group_by(*columns)).all()


def build_report(engine: Engine, where: AuditFilter, bucket: Bucket | None = None) -> Report:
    table = AuditRecordRow
    report = Report()
    for tenant, count in _grouped(engine, where, table.tenant):
        report.by_tenant[tenant or "(unknown)"] += count
        report.total += count
    for location, count in _grouped(engine, where, table.location):
        report.by_location[location or "(not routed)"] += count
    for status, outcome, count in _grouped(engine, where, table.status_code, table.outcome):
        # An egress entry that is still a request's latest: sent, and then nothing (a crash).
        report.by_status[(status, outcome) if status is not None else (0, UNKNOWN_OUTCOME)] += count

    if engine.dialect.name == "postgresql":
        has_findings = func.jsonb_array_length(cast(table.findings, JSONB)) > 0
    else:
        has_findings = func.json_array_length(table.findings) > 0
    query = where.apply(
        select(table.location, table.destinations, table.findings).where(has_findings), engine.dialect.name
    )
    with engine.connect() as connection:
        rows = connection.execution_options(yield_per=5000).execute(query)
        for location, destinations, findings in rows:
            for reached in reached_locations(location, destinations):
                _add_findings(report, where.entity, reached, findings or [])
    columns = (table.tenant, table.checks, table.started_at, table.location, table.outcome)
    query = where.apply(select(*columns), engine.dialect.name)
    with engine.connect() as connection:
        for tenant, checks, started, location, outcome in connection.execution_options(
            yield_per=5000
        ).execute(query):
            _add_checks(report, tenant or "(unknown)", checks or [])
            if bucket is not None:
                report.by_time[(bucket_start(started, bucket), destination(location, outcome))] += 1
    return report


def bucket_start(when: datetime, bucket: Bucket) -> datetime:
    """The UTC hour or day `when` falls in (a naive time is UTC, as every stored time is)."""
    when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    start = when.replace(minute=0, second=0, microsecond=0)
    return start.replace(hour=0) if bucket == "day" else start


def destination(location: str | None, outcome: str | None) -> str:
    """Where a request went: its final location, or why it went nowhere."""
    if location:
        return location
    return "not routed" if outcome in (None, "ok") else outcome


def _add_checks(report: Report, tenant: str, checks: list[dict[str, Any]]) -> None:
    for outcome in checks:
        status = str(outcome.get("status"))
        if status == "skipped":
            continue
        key = (str(outcome.get("check")), str(outcome.get("stage") or "input"), tenant)
        report.check_outcomes[(*key, status)] += 1
        if outcome.get("action") == "shadow" and status != "failed":
            report.shadow_runs[key] += 1
            report.shadow_would_block[key] += 1 if outcome.get("would_block") else 0


def reached_locations(location: str | None, destinations: list[dict[str, Any]] | None) -> list[str | None]:
    """Every location the request's data went to, in order, each once (records written before
    destinations were recorded: their one location)."""
    reached = list(dict.fromkeys(str(d.get("location")) for d in destinations or () if d.get("location")))
    return list(reached) if reached else [location]


def _add_findings(
    report: Report, entity: str | None, location: str | None, findings: list[dict[str, Any]]
) -> None:
    where = location or "(not routed)"
    seen: set[FindingKey] = set()
    for finding in findings:
        kind = str(finding.get("kind"))
        if entity is not None and kind != entity:
            continue
        key = (str(finding.get("check")), kind, where, str(finding.get("action")))
        report.finding_occurrences[key] += int(finding.get("count") or 1)
        if key not in seen:
            seen.add(key)
            report.finding_records[key] += 1
            if location is not None and key[3] in UNCHANGED_ACTIONS:
                report.sent_unchanged[(kind, location)] += 1
