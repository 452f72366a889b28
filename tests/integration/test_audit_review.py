"""Review from the command line: query with every filter, export (JSONL, CSV), report a period."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gateway.audit.record import AuditRecord
from tests.integration.audit_support import cli, record, write

SSN = {"check": "pii", "kind": "US_SSN", "count": 1}
EMAIL = {"check": "pii", "kind": "EMAIL_ADDRESS", "action": "pseudonymize", "count": 2}
PII_FAILED = [{"check": "pii", "status": "failed", "detail": "TimeoutError"}]


def at(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def log(engine: Engine) -> dict[str, AuditRecord]:
    records = {
        "q2_cloud_redacted": record(
            1,
            started_at=at(5),
            findings=[{**SSN, "action": "redact"}],
            request_content="user: my ssn is <US_SSN>",
            response_content="assistant: noted",
        ),
        "q3_cloud_redacted": record(2, started_at=at(8), findings=[{**SSN, "action": "redact"}, EMAIL]),
        "q3_local_only": record(
            3,
            started_at=at(8, 2),
            tenant="acme",
            location="local",
            model_served="local",
            route_reasons=["pii:CREDIT_CARD"],
            findings=[{"check": "pii", "kind": "CREDIT_CARD", "action": "local_only", "count": 1}],
        ),
        "q3_blocked": record(
            4,
            started_at=at(9),
            status_code=403,
            outcome="blocked",
            error_code="policy_violation",
            location=None,
            model_served=None,
            findings=[{**SSN, "action": "block"}],
        ),
        "q3_check_failed": record(
            5, started_at=at(9, 2), tenant="acme", location="local", model_served="local", checks=PII_FAILED
        ),
        "q3_unknown_key": record(
            6,
            started_at=at(9, 3),
            tenant=None,
            key_name=None,
            status_code=401,
            outcome="rejected",
            location=None,
            model_served=None,
            model_requested=None,
            checks=[],
        ),
        "q4_cloud": record(7, started_at=at(11), model_requested="gpt-4o-mini", model_served="gpt-4o-mini"),
    }
    write(engine, list(records.values()))
    return records


def query(*filters: str) -> set[str]:
    result = cli("audit", "query", "--format", "jsonl", "--limit", "1000", *filters)
    assert result.code == 0, result.err
    return {json.loads(line)["request_id"] for line in result.out.splitlines()}


def ids(log: dict[str, AuditRecord], *names: str) -> set[str]:
    return {log[name].request_id for name in names}


Q3 = ("--since", "2026-07-01", "--until", "2026-10-01")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (("--tenant", "acme"), ("q3_local_only", "q3_check_failed")),
        (Q3, ("q3_cloud_redacted", "q3_local_only", "q3_blocked", "q3_check_failed", "q3_unknown_key")),
        (("--status", "403"), ("q3_blocked",)),
        (("--outcome", "rejected"), ("q3_unknown_key",)),
        (("--location", "cloud", *Q3), ("q3_cloud_redacted",)),
        (("--model", "gpt-4o-mini"), ("q4_cloud",)),
        (("--entity", "US_SSN"), ("q2_cloud_redacted", "q3_cloud_redacted", "q3_blocked")),
        (("--entity", "EMAIL_ADDRESS"), ("q3_cloud_redacted",)),
        (("--check", "pii:failed"), ("q3_check_failed",)),
        (("--entity", "US_SSN", "--location", "cloud", *Q3), ("q3_cloud_redacted",)),
    ],
)
def test_query_filters(
    log: dict[str, AuditRecord], filters: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert query(*filters) == ids(log, *expected)


def test_query_by_request_id_and_as_a_table(log: dict[str, AuditRecord]) -> None:
    wanted = log["q3_blocked"].request_id
    assert query("--request-id", wanted) == {wanted}
    table = cli("audit", "query", "--tenant", "acme")
    header, rule, *rows = table.out.splitlines()
    assert header.split()[:3] == ["request_id", "started_at", "tenant"] and set(rule) == {"-", " "}
    assert len(rows) == 2 and rows[0].startswith(log["q3_check_failed"].request_id)  # newest first


def test_export_jsonl_streams_every_record_with_its_hashes(
    log: dict[str, AuditRecord], tmp_path: Path
) -> None:
    out = tmp_path / "audit.jsonl"
    result = cli("audit", "export", "--format", "jsonl", "--output", str(out), "--no-progress")
    assert result.code == 0 and "exported 7 record(s)" in result.err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["request_id"] for line in lines] == [r.request_id for r in log.values()]
    assert all(len(line["record_hash"]) == 64 for line in lines)
    stored = lines[0]["request_content"]
    assert stored.startswith("gwenc1:") and "ssn" not in stored  # at rest, content is ciphertext


def test_export_can_open_the_content_or_leave_it_out(log: dict[str, AuditRecord]) -> None:
    decrypted = cli(
        "audit", "export", "--content", "decrypted", "--since", "2026-05-01", "--until", "2026-06-01"
    )
    (line,) = [json.loads(x) for x in decrypted.out.splitlines()]
    assert line["request_content"] == "user: my ssn is <US_SSN>" and line["content_erased"] is False
    assert line["response_content"] == "assistant: noted"
    none = cli("audit", "export", "--content", "none", "--since", "2026-05-01", "--until", "2026-06-01")
    assert json.loads(none.out)["request_content"] is None


def test_export_csv_has_a_header_and_one_row_per_record(log: dict[str, AuditRecord]) -> None:
    result = cli("audit", "export", "--format", "csv", "--tenant", "acme")
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert {row["request_id"] for row in rows} == ids(log, "q3_local_only", "q3_check_failed")
    assert json.loads(rows[0]["findings"])[0]["kind"] == "CREDIT_CARD"


def test_report_summarises_a_quarter(log: dict[str, AuditRecord]) -> None:
    result = cli("audit", "report", *Q3)
    assert result.code == 0
    out = result.out
    assert "requests: 5" in out
    assert "acme       2" in out and "demo       2" in out and "(unknown)  1" in out
    assert "pii    US_SSN         cloud         redact        1" in out
    assert "pii    CREDIT_CARD    local         local_only    1" in out
    assert "pii    US_SSN         (not routed)  block         1" in out


def test_no_ssn_reached_a_cloud_model_last_quarter_is_one_command(
    engine: Engine, log: dict[str, AuditRecord]
) -> None:
    proof = ("audit", "report", *Q3, "--entity", "US_SSN", "--location", "cloud", "--fail-if-exposed")
    result = cli(*proof)
    assert result.code == 0 and "US_SSN sent unchanged to cloud: 0 record(s)" in result.out
    write(engine, [record(9, started_at=at(9, 20), findings=[{**SSN, "action": "allow"}])])
    result = cli(*proof)
    assert result.code == 1 and "US_SSN sent unchanged to cloud: 1 record(s)" in result.out
