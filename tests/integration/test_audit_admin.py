"""`/admin/audit` over real HTTP, on SQLite and PostgreSQL: reviewer keys from gateway.yaml,
scoped to tenants; app keys see nothing of the audit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
import yaml
from sqlalchemy import Engine, text

from gateway.app import create_app
from gateway.audit.record import AuditRecord
from gateway.db.engine import make_engine, upgrade
from gateway.services import Services
from gateway.settings import Settings
from tests.integration.audit_support import key_environ, record, write
from tests.integration.conftest import Cloud
from tests.policy_files import DEMO_KEY, sha, write_policies
from tests.servers import serve_in_thread

ALL_KEY = "gwr-test-reviewer-all"
DEMO_REVIEWER_KEY = "gwr-test-reviewer-demo"


@dataclass
class Review:
    url: str
    engine: Engine
    services: Services

    def get(self, path: str, key: str | None = ALL_KEY, **params: object) -> httpx.Response:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return httpx.get(self.url + path, headers=headers, params=params, timeout=30)  # type: ignore[arg-type]


def reviewer_policies(directory: Path, cloud_url: str) -> Path:
    write_policies(directory, cloud_url)
    gateway_yaml = directory / "gateway.yaml"
    document = yaml.safe_load(gateway_yaml.read_text())
    document["reviewers"] = [
        {"name": "auditor", "sha256": sha(ALL_KEY), "tenants": ["*"]},
        {"name": "demo-dpo", "sha256": sha(DEMO_REVIEWER_KEY), "tenants": ["demo"]},
    ]
    gateway_yaml.write_text(yaml.safe_dump(document))
    return directory


@pytest.fixture
def review(tmp_path: Path, cloud: Cloud, database_url: str) -> Iterator[Review]:
    policies = reviewer_policies(tmp_path / "policies", cloud.url)
    upgrade(database_url)
    settings = Settings.from_env(key_environ(), policies_dir=policies, database_url=database_url)
    services = Services.build(settings)
    engine = make_engine(database_url)
    with serve_in_thread(create_app(settings, services)) as url:
        yield Review(url, engine, services)
    engine.dispose()


@pytest.fixture
def log(review: Review) -> dict[str, str]:
    """Two real requests through the gateway (one with an unknown key), plus recorded findings."""
    client = openai.OpenAI(base_url=review.url + "/v1", api_key=DEMO_KEY, max_retries=0)
    served = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    with pytest.raises(openai.AuthenticationError) as rejected:
        openai.OpenAI(base_url=review.url + "/v1", api_key="not-a-key", max_retries=0).models.list()
    synthetic: list[AuditRecord] = [
        record(
            1,
            findings=[{"check": "pii", "kind": "US_SSN", "action": "redact", "count": 1}],
            request_content="user: my number is <US_SSN>",
        ),
        record(2, tenant="onprem", location="local", model_served="local"),
        record(3, tenant="onprem", location="local", model_served="local"),
    ]
    write(review.engine, synthetic)
    return {
        "served": served.headers["x-request-id"],
        "rejected": rejected.value.response.headers["x-request-id"],
        "ssn": synthetic[0].request_id,
        "onprem": synthetic[1].request_id,
    }


def listed(review: Review, key: str = ALL_KEY, **params: object) -> list[dict[str, object]]:
    response = review.get("/admin/audit", key, **params)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_app_keys_and_strangers_see_nothing(review: Review, log: dict[str, str]) -> None:
    for key in (DEMO_KEY, "gwr-unknown", None):
        for path in ("/admin/audit", f"/admin/audit/records/{log['served']}", "/admin/audit/verify"):
            response = review.get(path, key)
            assert response.status_code == 401, (key, path)
            assert response.json()["error"]["code"] == "invalid_api_key"
            assert log["served"] not in response.text


def test_a_reviewer_of_all_tenants_sees_every_record(review: Review, log: dict[str, str]) -> None:
    seen = {r["request_id"] for r in listed(review)}
    assert set(log.values()) <= seen and len(seen) == 5
    rejected = next(r for r in listed(review) if r["request_id"] == log["rejected"])
    assert rejected["tenant"] is None and rejected["status_code"] == 401
    assert all("request_content" not in r for r in listed(review))  # listings carry no content


def test_a_reviewer_scoped_to_a_tenant_sees_only_that_tenant(review: Review, log: dict[str, str]) -> None:
    records = listed(review, DEMO_REVIEWER_KEY)
    assert {r["tenant"] for r in records} == {"demo"}
    assert log["onprem"] not in {r["request_id"] for r in records}
    assert listed(review, DEMO_REVIEWER_KEY, tenant="onprem") == []
    assert review.get(f"/admin/audit/records/{log['onprem']}", DEMO_REVIEWER_KEY).status_code == 404
    assert review.get(f"/admin/audit/records/{log['ssn']}", DEMO_REVIEWER_KEY).status_code == 200


def test_filters_and_pagination(review: Review, log: dict[str, str]) -> None:
    assert [r["request_id"] for r in listed(review, entity="US_SSN")] == [log["ssn"]]
    local = {r["request_id"] for r in listed(review, location="local")}
    assert log["onprem"] in local and local == {r["request_id"] for r in listed(review, tenant="onprem")}
    assert [r["request_id"] for r in listed(review, status=401)] == [log["rejected"]]
    pages, before = [], None
    while True:
        params: dict[str, object] = {"limit": 2, **({"before": before} if before else {})}
        body = review.get("/admin/audit", **params).json()
        pages.append([r["request_id"] for r in body["data"]])
        before = body["next_before"]
        if before is None:
            break
    flat = [request_id for page in pages for request_id in page]
    assert len(flat) == len(set(flat)) == len(listed(review)) == 5 and all(len(p) <= 2 for p in pages)
    assert review.get("/admin/audit", since="not-a-date").status_code == 400


def test_a_record_says_what_was_found_where_it_went_why_and_which_checks_ran(
    review: Review, log: dict[str, str]
) -> None:
    served = review.get(f"/admin/audit/records/{log['served']}").json()
    assert served["location"] == "cloud" and served["model_served"] == "gpt-4o"
    assert served["route_reasons"] and isinstance(served["checks"], list)
    assert served["policy_version"] == review.services.policies.current.version
    assert served["chain_check"]["ok"] is True
    ssn = review.get(f"/admin/audit/records/{log['ssn']}").json()
    assert ssn["findings"] == [{"check": "pii", "kind": "US_SSN", "action": "redact", "count": 1}]
    assert ssn["request_content"] == "user: my number is <US_SSN>" and ssn["content_erased"] is False


def test_the_chain_status_is_served_and_turns_red_on_tampering(review: Review, log: dict[str, str]) -> None:
    assert review.get("/admin/audit/verify", full="true").json()["ok"] is True
    with review.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET status_code = 200 WHERE request_id = :r"), {"r": log["rejected"]}
        )
    full = review.get("/admin/audit/verify", full="true").json()
    assert full["ok"] is False and full["first_bad_request_id"] == log["rejected"]
    scoped = review.get("/admin/audit/verify", DEMO_REVIEWER_KEY, full="true").json()
    assert scoped["ok"] is False and log["rejected"] not in str(scoped)
    detail = review.get(f"/admin/audit/records/{log['rejected']}").json()
    assert detail["chain_check"]["content_ok"] is False
