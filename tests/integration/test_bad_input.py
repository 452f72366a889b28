"""Bad input: a clear 4xx in the OpenAI error shape, never a 500, and always an audit record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.checks.pii.detector import Detector
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_completions import records
from tests.policy_files import DEMO_KEY

AUTH = {"Authorization": f"Bearer {DEMO_KEY}", "content-type": "application/json"}


def post(gateway: RunningGateway, body: bytes | str, path: str = "/v1/chat/completions") -> httpx.Response:
    return httpx.post(gateway.url + path, content=body, headers=AUTH, timeout=10)


def assert_openai_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["x-request-id"].startswith("req_")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["code"] == code
    assert "Traceback" not in response.text
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("{not json", None),
        ("[1, 2]", None),
        ('{"messages": [{"role": "user", "content": "hi"}]}', "model"),
        ('{"model": "gpt-4o"}', "messages"),
        ('{"model": "gpt-4o", "messages": "hi"}', "messages"),
        ('{"model": "gpt-4o", "messages": [{"role": "wizard", "content": "hi"}]}', "messages[0].role"),
        ('{"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}', "messages[0].content"),
        ('{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}', "stream"),
        (
            '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}',
            "max_tokens",
        ),
        (
            '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}',
            "temperature",
        ),
    ],
)
def test_malformed_chat_requests_are_400(gateway: RunningGateway, body: str, param: str | None) -> None:
    error = assert_openai_error(post(gateway, body), 400, "invalid_request")
    assert error["param"] == param
    (record,) = records(gateway)
    assert (record.status_code, record.outcome, record.tenant) == (400, "rejected", "demo")


def test_bad_completions_prompt_is_400(gateway: RunningGateway) -> None:
    response = post(gateway, '{"model": "gpt-4o", "prompt": [1, 2]}', "/v1/completions")
    assert assert_openai_error(response, 400, "invalid_request")["param"] == "prompt"


def test_error_messages_do_not_echo_the_request(gateway: RunningGateway) -> None:
    secret = "John Smith 078-05-1120"
    response = post(gateway, '{"model": "' + secret + '", "messages": [{"role": "user", "content": "x"}]}')
    assert response.status_code == 404
    assert "078-05-1120" not in response.text


@pytest.fixture
def small_limit_gateway(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> Iterator[RunningGateway]:
    yield from start_gateway(tmp_path, cloud, sqlite_url, presidio, max_body_bytes=1024)


def test_body_over_the_limit_is_413(small_limit_gateway: RunningGateway) -> None:
    body = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "' + "a" * 4096 + '"}]}'
    assert_openai_error(post(small_limit_gateway, body), 413, "request_too_large")
    (record,) = records(small_limit_gateway)
    assert record.status_code == 413


def test_wrong_method_and_unknown_route_are_openai_shaped(gateway: RunningGateway) -> None:
    assert_openai_error(
        httpx.get(gateway.url + "/v1/chat/completions", headers=AUTH), 405, "method_not_allowed"
    )
    assert_openai_error(httpx.get(gateway.url + "/nope", headers=AUTH), 404, "not_found")


def test_health_and_readiness_carry_a_request_id(gateway: RunningGateway) -> None:
    for path in ("/healthz", "/readyz"):
        response = httpx.get(gateway.url + path)
        assert response.status_code == 200 and response.headers["x-request-id"]
    assert records(gateway) == []  # only /v1/ requests are audited
