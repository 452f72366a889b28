"""What a hostile client tries: each is a clear error in the OpenAI shape, never a 500, and
every /v1/ request leaves its audit record."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from gateway.checks.pii.detector import Detector
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_bad_input import AUTH, assert_openai_error, post
from tests.integration.test_completions import records
from tests.policy_files import DEMO_KEY, STRICT_KEY
from tests.servers import free_port


def nested(levels: int) -> bytes:
    inner = b"[" * levels + b"]" * levels
    # in a field the gateway knows: an unknown one is refused before nesting matters
    return b'{"model": "gpt-4o", "metadata": ' + inner + b', "messages": [{"role": "user", "content": "hi"}]}'


@pytest.mark.parametrize("levels", [65, 900, 1000, 100_000])
def test_deep_nesting_is_400(gateway: RunningGateway, cloud: Cloud, levels: int) -> None:
    before = len(cloud.app.received)
    error = assert_openai_error(post(gateway, nested(levels)), 400, "invalid_request")
    assert "nested deeper" in str(error["message"])
    assert len(cloud.app.received) == before
    (record,) = records(gateway)
    assert (record.status_code, record.outcome) == (400, "rejected")


def test_nesting_within_the_cap_is_served(gateway: RunningGateway) -> None:
    assert post(gateway, nested(60)).status_code == 200


def test_invalid_utf8_is_400(gateway: RunningGateway) -> None:
    body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "\xff"}]}'
    error = assert_openai_error(post(gateway, body), 400, "invalid_request")
    assert "UTF-8" in str(error["message"])
    (record,) = records(gateway)
    assert record.status_code == 400


@pytest.fixture
def unreachable_cloud(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> Iterator[RunningGateway]:
    def nothing_listens(policies: Path) -> None:
        path = policies / "gateway.yaml"
        config = yaml.safe_load(path.read_text())
        config["providers"]["openai"]["base_url"] = f"http://127.0.0.1:{free_port()}/v1"
        path.write_text(yaml.safe_dump(config))

    yield from start_gateway(tmp_path, cloud, sqlite_url, presidio, nothing_listens)


def test_refused_connection_is_502_not_504(unreachable_cloud: RunningGateway) -> None:
    body = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'
    response = httpx.post(
        unreachable_cloud.url + "/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {STRICT_KEY}", "content-type": "application/json"},
        timeout=10,
    )
    assert_openai_error(response, 502, "upstream_error")
    (record,) = records(unreachable_cloud)
    assert record.destinations == [
        {"location": "cloud", "model": "gpt-4o", "outcome": "error", "error_code": "upstream_error"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
        ("DELETE", "/v1/completions", 405, "method_not_allowed"),
        ("POST", "/v1/models", 405, "method_not_allowed"),
        ("POST", "/v1/embeddings", 404, "not_found"),
        ("GET", "/v1/files/abc", 404, "not_found"),
    ],
)
def test_unserved_v1_requests_are_audited(
    gateway_on: RunningGateway, method: str, path: str, status: int, code: str
) -> None:
    gateway = gateway_on  # SQLite and PostgreSQL
    response = httpx.request(method, gateway.url + path, headers=AUTH, content=b"{}", timeout=10)
    assert_openai_error(response, status, code)
    (record,) = records(gateway)
    assert (record.status_code, record.error_code, record.tenant) == (status, code, "demo")
    assert record.request_id == response.headers["x-request-id"]


def test_unserved_v1_request_with_an_unknown_key_has_no_tenant(gateway: RunningGateway) -> None:
    response = httpx.post(gateway.url + "/v1/nope", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert_openai_error(response, 404, "not_found")
    (record,) = records(gateway)
    assert record.tenant is None and record.status_code == 404


def test_huge_headers_are_431_and_audited_without_the_key(gateway_on: RunningGateway, cloud: Cloud) -> None:
    gateway = gateway_on  # SQLite and PostgreSQL
    before = len(cloud.app.received)
    huge = {"Authorization": "Bearer " + "k" * 1_000_000, "content-type": "application/json"}
    body = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'
    response = httpx.post(gateway.url + "/v1/chat/completions", content=body, headers=huge, timeout=30)
    assert_openai_error(response, 431, "request_header_fields_too_large")
    assert len(cloud.app.received) == before
    (record,) = records(gateway)
    assert (record.status_code, record.tenant, record.key_fingerprint) == (431, None, None)
    many = {f"x-h{i}": "v" * 4000 for i in range(10)} | {"Authorization": f"Bearer {DEMO_KEY}"}
    assert httpx.get(gateway.url + "/healthz", headers=many, timeout=10).status_code == 431
    assert httpx.get(gateway.url + "/healthz", headers={"x-fine": "v" * 4000}, timeout=10).status_code == 200


def test_a_client_that_leaves_cancels_the_cloud_call_and_the_fallback(
    gateway: RunningGateway, cloud: Cloud
) -> None:
    """The cloud stalls (the test policies time it out after 2 s, then fall back to the local
    model); the caller gives up after 0.3 s. The wait is cancelled at once: no fallback runs."""
    body = {"model": "fail-slow", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=AUTH, timeout=0.3)
    deadline = time.monotonic() + 10
    while not records(gateway) and time.monotonic() < deadline:
        time.sleep(0.05)
    (record,) = records(gateway)
    assert (record.status_code, record.outcome) == (499, "client_disconnected")
    assert record.destinations == [
        {
            "location": "cloud",
            "model": "fail-slow",
            "outcome": "client_disconnected",
            "error_code": "client_disconnected",
        }
    ]
    assert record.latency_ms < 1500  # well before the upstream timeout would have fired
