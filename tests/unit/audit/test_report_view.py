"""The review report's tables, counted by `build_report` on a real SQLite database from records
written through the real audit writer: one count a request (an egress and its outcome entry are
one request), within the period and the tenant set, exported cell for cell."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gateway.audit.filters import AuditFilter
from gateway.audit.record import AuditRecord
from gateway.audit.report import build_report
from gateway.audit.report_view import Period, Table, report_tables, tenant_choices, to_csv, to_jsonl
from gateway.audit.writer import AuditWriter
from gateway.db.engine import make_engine, upgrade
from tests.integration.audit_support import audit_keys, record

DAY1 = datetime(2026, 1, 5, tzinfo=UTC)
BLOCKED = {"status_code": 403, "outcome": "blocked", "location": None, "model_served": None}


def at(hours: float) -> datetime:
    return DAY1 + timedelta(hours=hours)


def outcome(check: str, status: str, action: str = "block", would_block: bool = False) -> dict[str, object]:
    return {"check": check, "stage": "input", "status": status, "action": action, "would_block": would_block}


def pii(kind: str, action: str = "redact", check: str = "pii") -> dict[str, object]:
    return {"check": check, "kind": kind, "action": action, "count": 2}


def write_through_writer(engine: Engine, records: Sequence[AuditRecord]) -> None:
    writer = AuditWriter(engine, audit_keys())

    async def run() -> None:
        for r in records:  # in order: an egress entry is committed before its outcome
            await (writer.write_egress(r) if r.phase == "egress" else writer.write(r))

    try:
        asyncio.run(run())
    finally:
        writer.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade(url)
    engine = make_engine(url)
    sent = record(2, started_at=at(10.2), tenant="acme", phase="egress", status_code=None, outcome="sent")
    write_through_writer(
        engine,
        [
            record(1, started_at=at(9.1), tenant="acme", findings=[pii("US_SSN")]),
            sent,  # then its outcome entry: the same request, counted once
            record(2, started_at=at(10.2), tenant="acme", request_id=sent.request_id, phase="outcome"),
            record(
                3,
                started_at=at(10.5),
                tenant="acme",
                findings=[pii("EMAIL_ADDRESS", "block")],
                checks=[outcome("prompt_injection", "blocked")],
                **BLOCKED,
            ),
            record(
                4,
                started_at=at(32),
                tenant="acme",
                location="local",
                findings=[pii("US_SSN", "allow", "output_pii")],
                checks=[outcome("prompt_injection", "flagged", "shadow", would_block=True)],
            ),
            record(5, started_at=at(9.5), tenant="beta", findings=[pii("PERSON")]),
            record(6, started_at=at(9.6), tenant="beta", location="local", model_served="local"),
            record(7, started_at=at(24 * 9), tenant="acme"),  # outside the periods below
        ],
    )
    yield engine
    engine.dispose()


def tables(engine: Engine, period: Period, scope: tuple[str, ...] | None) -> dict[str, Table]:
    where = AuditFilter(since=period.since, until=period.until, scope=scope)
    report = build_report(engine, where, period.bucket)
    return {t.name: t for t in report_tables(report, period, [])}


def cells(table: Table) -> dict[tuple[str, str], int | float]:
    return {
        (row, column): value
        for row, values in table.rows
        for column, value in zip(table.columns, values, strict=True)
    }


def test_two_days_are_counted_by_the_hour_one_count_a_request(engine: Engine) -> None:
    period = Period(date(2026, 1, 5), date(2026, 1, 6))
    found = tables(engine, period, ("acme",))
    over_time = found["requests_over_time"]
    assert over_time.row_header == "hour (UTC)"
    assert len(over_time.rows) == 48  # every hour of both days, quiet ones as zeros
    assert over_time.columns[:3] == ("cloud", "local", "blocked")
    counted = {k: v for k, v in cells(over_time).items() if v}
    assert counted == {
        ("2026-01-05 09:00", "cloud"): 1,
        ("2026-01-05 10:00", "cloud"): 1,  # the egress + outcome request, once
        ("2026-01-05 10:00", "blocked"): 1,
        ("2026-01-06 08:00", "local"): 1,
    }
    assert cells(found["requests_by_tenant"]) == {("acme", "requests"): 4}


def test_a_week_is_counted_by_the_day_and_a_request_only_sent_counts_at_its_destination(
    engine: Engine,
) -> None:
    # A crash between the phases: the egress entry stays the request's last word.
    crashed = record(8, started_at=at(30), tenant="beta", phase="egress", status_code=None, outcome="sent")
    write_through_writer(engine, [crashed])
    period = Period(date(2026, 1, 5), date(2026, 1, 11))
    over_time = tables(engine, period, None)["requests_over_time"]
    assert over_time.row_header == "day (UTC)"
    assert [row for row, _ in over_time.rows] == [f"2026-01-{d:02d}" for d in range(5, 12)]
    assert over_time.rows[0] == ("2026-01-05", (3, 1, 1))  # acme 1, 2, 3 and beta 5, 6
    assert over_time.rows[1] == ("2026-01-06", (1, 1, 0))  # beta's crashed one reached the cloud
    assert sum(sum(values) for _, values in over_time.rows) == 7


def test_pii_types_by_destination_and_check_outcomes(engine: Engine) -> None:
    found = tables(engine, Period(date(2026, 1, 5), date(2026, 1, 6)), None)
    assert cells(found["pii_by_destination"]) == {
        ("EMAIL_ADDRESS", "cloud"): 0,
        ("EMAIL_ADDRESS", "local"): 0,
        ("EMAIL_ADDRESS", "not sent"): 1,
        ("PERSON", "cloud"): 1,
        ("PERSON", "local"): 0,
        ("PERSON", "not sent"): 0,
        ("US_SSN", "cloud"): 1,
        ("US_SSN", "local"): 0,
        ("US_SSN", "not sent"): 0,
        ("US_SSN (answer)", "cloud"): 0,
        ("US_SSN (answer)", "local"): 1,
        ("US_SSN (answer)", "not sent"): 0,
    }
    outcomes = cells(found["check_outcomes"])
    assert outcomes[("prompt_injection (input)", "blocked")] == 1
    assert outcomes[("prompt_injection (input)", "flagged")] == 1
    assert outcomes[("prompt_injection (input)", "would block (shadow)")] == 1
    assert outcomes[("pii (input)", "blocked")] == 0
    assert sum(v for (row, _), v in outcomes.items() if row == "pii (input)") == 0  # passed: not drawn


def test_a_tenant_set_sees_none_of_the_other_tenants_numbers(engine: Engine) -> None:
    period = Period(date(2026, 1, 5), date(2026, 1, 6))
    beta = tables(engine, period, ("beta",))
    assert cells(beta["requests_by_tenant"]) == {("beta", "requests"): 2}
    assert [row for row, _ in beta["pii_by_destination"].rows] == ["PERSON"]
    assert beta["check_outcomes"].rows == (("pii (input)", (0, 0, 0, 0, 0)),)  # ran, passed
    text = to_csv(list(beta.values()))
    assert "acme" not in text and "US_SSN" not in text
    assert tenant_choices(engine, ["gamma"], None) == ["acme", "beta", "gamma"]
    assert tenant_choices(engine, ["gamma"], ("beta",)) == ["beta"]


def test_the_exports_hold_every_cell_shown_and_nothing_else(engine: Engine) -> None:
    shown = list(tables(engine, Period(date(2026, 1, 5), date(2026, 1, 5)), None).values())
    expected = [
        (t.name, row, column, str(value))
        for t in shown
        for row, values in t.rows
        for column, value in zip(t.columns, values, strict=True)
    ]
    rows = list(csv.reader(io.StringIO(to_csv(shown))))
    assert rows[0] == ["table", "row", "column", "value"]
    assert [tuple(r) for r in rows[1:]] == expected
    lines = [json.loads(line) for line in to_jsonl(shown).splitlines()]
    assert [(d["table"], d["row"], d["column"], str(d["value"])) for d in lines] == expected


def test_a_label_that_looks_like_a_formula_is_quoted_in_the_csv() -> None:
    table = Table("requests_by_tenant", "t", "tenant", ("requests",), (("=HYPERLINK(1)", (3,)),))
    assert "'=HYPERLINK(1)" in to_csv([table])
    assert '"=HYPERLINK(1)"' in to_jsonl([table])  # JSON is data, not a spreadsheet


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", "", "dates are YYYY-MM-DD"),
        ("yesterday", "", "dates are YYYY-MM-DD"),
        ("2026-01-10", "2026-01-09", "starts (2026-01-10) after it ends (2026-01-09)"),
        ("2025-01-01", "2026-12-31", "at most 366 days"),
    ],
)
def test_a_bad_period_says_why(start: str, end: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Period.parse(start, end, date(2026, 12, 1))


def test_the_default_period_is_the_last_seven_days() -> None:
    period = Period.parse("", None, date(2026, 12, 1))
    assert (period.start, period.end, period.bucket) == (date(2026, 11, 25), date(2026, 12, 1), "day")
    assert Period.parse("2026-12-01", "2026-12-01", date(2026, 12, 1)).bucket == "hour"
    assert len(Period(date(2026, 1, 1), date(2026, 1, 1)).buckets()) == 24
