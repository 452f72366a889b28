"""Retention plans never go below the legal minimum; reports count what left unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.audit.report import Report, _add_findings
from gateway.audit.retention import plan_purge
from gateway.audit.verify import MIN_RETENTION_DAYS

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_retention_below_six_months_is_raised_to_the_minimum() -> None:
    plan = plan_purge({"short": 30, "long": 400}, 400, NOW)
    assert plan.floored == ["short"]
    assert plan.cutoffs["short"] == NOW - timedelta(days=MIN_RETENTION_DAYS)
    assert plan.cutoffs["long"] == NOW - timedelta(days=400)


def test_only_findings_left_unchanged_and_routed_count_as_sent_unchanged() -> None:
    report = Report()
    ssn = {"check": "pii", "kind": "US_SSN", "count": 2}
    _add_findings(report, None, "cloud", [{**ssn, "action": "redact"}])
    _add_findings(report, None, "cloud", [{**ssn, "action": "allow"}])
    _add_findings(report, None, None, [{**ssn, "action": "block"}])  # blocked: never routed
    _add_findings(report, None, "local", [{**ssn, "action": "local_only"}])
    assert report.sent_unchanged == {("US_SSN", "cloud"): 1, ("US_SSN", "local"): 1}
    assert report.exposed("cloud") == 1
    assert report.finding_occurrences[("pii", "US_SSN", "cloud", "redact")] == 2
