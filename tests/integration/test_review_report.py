"""`/review/report` over real HTTP, on SQLite and PostgreSQL: a reviewer scoped to a tenant never
sees another tenant's numbers (not in the page, not in the choices, not in the exports); bad
dates and tenants get a page that says why, with 400; requests that went through the gateway
(an egress and an outcome entry each) count once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest

from tests.integration.test_audit_admin import ALL_KEY, DEMO_REVIEWER_KEY, Review, log, review

__all__ = ["log", "review"]  # fixtures

DAY = {"from": "2026-01-05", "to": "2026-01-05"}  # the synthetic records' day


def get(
    review: Review, path: str, key: str, params: dict[str, str] | list[tuple[str, str]]
) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"}
    return httpx.get(f"{review.url}{path}?{urlencode(params)}", headers=headers, timeout=30)


def exported(
    review: Review, key: str, params: dict[str, str] | list[tuple[str, str]]
) -> dict[tuple[str, ...], str]:
    response = get(review, "/review/report.csv", key, params)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    return {(t, r, c): v for t, r, c, v in rows[1:]}


def test_a_scoped_reviewer_sees_only_its_tenants_numbers(review: Review, log: dict[str, str]) -> None:
    everything = exported(review, ALL_KEY, DAY)
    assert everything[("requests_by_tenant", "onprem", "requests")] == "2"
    assert everything[("requests_by_tenant", "demo", "requests")] == "1"

    page = get(review, "/review/report", DEMO_REVIEWER_KEY, DAY)
    assert page.status_code == 200
    assert "onprem" not in page.text  # not its numbers, not even its name among the choices
    assert 'value="demo"' in page.text
    for kind in ("csv", "jsonl"):
        text = get(review, f"/review/report.{kind}", DEMO_REVIEWER_KEY, DAY).text
        assert "onprem" not in text and "requests_by_tenant" in text
    scoped = exported(review, DEMO_REVIEWER_KEY, DAY)
    assert {r for t, r, _ in scoped if t == "requests_by_tenant"} == {"demo"}
    assert scoped[("requests_over_time", "2026-01-05 09:00", "cloud")] == "1"
    assert scoped[("requests_over_time", "2026-01-05 09:00", "local")] == "0"  # onprem's went local
    assert scoped[("pii_by_destination", "US_SSN", "cloud")] == "1"


@pytest.mark.parametrize("path", ["/review/report", "/review/report.csv", "/review/report.jsonl"])
def test_another_tenant_is_refused_like_an_unknown_one(
    review: Review, log: dict[str, str], path: str
) -> None:
    asked = get(review, path, DEMO_REVIEWER_KEY, [*DAY.items(), ("tenant", "onprem")])
    unknown = get(review, path, DEMO_REVIEWER_KEY, [*DAY.items(), ("tenant", "nobody")])
    assert asked.status_code == unknown.status_code == 400
    assert "Unknown tenant &#39;onprem&#39;: choose among demo." in asked.text
    assert "attachment" not in asked.headers.get("content-disposition", "")
    assert 'id="requests_by_tenant"' not in asked.text  # no numbers at all


def test_a_tenant_set_is_counted_for_a_reviewer_of_all(review: Review, log: dict[str, str]) -> None:
    onprem = exported(review, ALL_KEY, [*DAY.items(), ("tenant", "onprem")])
    assert {r for t, r, _ in onprem if t == "requests_by_tenant"} == {"onprem"}
    assert onprem[("requests_over_time", "2026-01-05 09:00", "local")] == "2"
    both = exported(review, ALL_KEY, [*DAY.items(), ("tenant", "onprem"), ("tenant", "demo")])
    assert {r for t, r, _ in both if t == "requests_by_tenant"} == {"demo", "onprem"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-02-30"}, "dates are YYYY-MM-DD"),
        ({"to": "next week"}, "dates are YYYY-MM-DD"),
        ({"from": "2026-01-09", "to": "2026-01-01"}, "starts (2026-01-09) after it ends (2026-01-01)"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "at most 366 days"),
    ],
)
def test_bad_dates_get_a_page_that_says_why(review: Review, params: dict[str, str], message: str) -> None:
    for path in ("/review/report", "/review/report.csv"):
        response = get(review, path, ALL_KEY, params)
        assert response.status_code == 400
        assert message in response.text and "Traceback" not in response.text


def test_todays_requests_through_the_gateway_count_once(review: Review, log: dict[str, str]) -> None:
    today = datetime.now(UTC).date().isoformat()
    counted = exported(review, ALL_KEY, {"from": today, "to": today})
    # The served request has an egress and an outcome entry; the unknown key's was refused.
    assert counted[("requests_by_tenant", "demo", "requests")] == "1"
    assert counted[("requests_by_tenant", "(unknown)", "requests")] == "1"
    over_time = [(r, c, int(v)) for (t, r, c), v in counted.items() if t == "requests_over_time" and v != "0"]
    assert sorted((c, n) for _, c, n in over_time) == [("cloud", 1), ("rejected", 1)]
    assert len(over_time) == 2 and all(r.startswith(today) for r, _, _ in over_time)


def test_the_report_needs_a_reviewer(review: Review) -> None:
    response = httpx.get(review.url + "/review/report.csv", timeout=30, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review/login"
