"""Reviewer sessions hold a signed, expiring token, never the key; scoped reviewers learn
nothing of other tenants (not even their record count); paging parameters are validated."""

from __future__ import annotations

import time

import httpx
import pytest

from gateway.api.admin_auth import REVIEW_COOKIE, issue_session, session_secret
from tests.integration.test_audit_admin import ALL_KEY, DEMO_REVIEWER_KEY, Review, log, review

__all__ = ["log", "review"]  # fixtures


def sign_in(review: Review, key: str) -> httpx.Response:
    return httpx.post(review.url + "/review/login", data={"key": key}, timeout=30)


def page(review: Review, cookie: str) -> httpx.Response:
    return httpx.get(review.url + "/review", cookies={REVIEW_COOKIE: cookie}, timeout=30)


def test_the_cookie_is_a_signed_session_not_the_key(review: Review, log: dict[str, str]) -> None:
    response = sign_in(review, ALL_KEY)
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    token = response.cookies[REVIEW_COOKIE]
    assert ALL_KEY not in header and token != ALL_KEY
    flags = header.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "secure" not in flags  # plain http
    assert page(review, token).status_code == 200
    assert page(review, token[:-1] + ("0" if token[-1] != "0" else "1")).status_code == 303  # tampered
    assert page(review, ALL_KEY).status_code == 303  # a raw key is not a session


def test_an_expired_session_signs_out(review: Review, log: dict[str, str]) -> None:
    secret = session_secret(review.services.audit.keys.master_key)
    expired = issue_session(ALL_KEY, secret, now=time.time() - 9 * 3600)
    assert page(review, expired).status_code == 303
    fresh = issue_session(ALL_KEY, secret)
    assert page(review, fresh).status_code == 200
    forged = issue_session(ALL_KEY, b"not the gateway's secret")
    assert page(review, forged).status_code == 303


def test_a_scoped_reviewers_verify_counts_only_its_tenants(review: Review, log: dict[str, str]) -> None:
    everything = review.get("/admin/audit/verify", full="true").json()
    scoped = review.get("/admin/audit/verify", DEMO_REVIEWER_KEY, full="true").json()
    demo = [r for r in review.get("/admin/audit", limit=500).json()["data"] if r["tenant"] == "demo"]
    assert scoped["records"] == len(demo) == 2 < everything["records"]
    token = sign_in(review, DEMO_REVIEWER_KEY).cookies[REVIEW_COOKIE]
    text = httpx.get(review.url + "/review/verify", cookies={REVIEW_COOKIE: token}, timeout=30).text
    assert "2 record(s) of your tenants" in text


@pytest.mark.parametrize(
    "params",
    [{"limit": -1}, {"limit": 0}, {"limit": "abc"}, {"limit": 501}, {"before": -5}, {"before": "x"}],
)
def test_paging_is_validated(review: Review, params: dict[str, object]) -> None:
    response = review.get("/admin/audit", **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["param"] == next(iter(params))


def test_valid_paging_is_served(review: Review, log: dict[str, str]) -> None:
    assert len(review.get("/admin/audit", limit=500).json()["data"]) == 5
    assert len(review.get("/admin/audit", limit=1).json()["data"]) == 1


def test_the_review_page_shows_a_crash_between_phases_as_sent_outcome_unknown(
    review: Review, log: dict[str, str]
) -> None:
    from gateway.audit.trail import Trail
    from gateway.routing import Route
    from tests.integration.audit_support import write

    trail = Trail("req_crashed_for_the_page", "chat")
    trail.route = Route(
        location="cloud", model="gpt-4o", provider="openai", upstream_model="gpt-4o", reasons=()
    )
    write(review.engine, [trail.sending()])
    headers = {"authorization": f"Bearer {ALL_KEY}"}
    detail = httpx.get(review.url + "/review/records/req_crashed_for_the_page", headers=headers, timeout=30)
    assert detail.status_code == 200 and "sent, outcome unknown" in detail.text
    assert "cloud: gpt-4o (sent)" in detail.text
    listing = httpx.get(review.url + "/review", headers=headers, timeout=30).text
    assert "sent, outcome unknown" in listing
