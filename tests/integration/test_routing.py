"""Routing decisions end to end: residency, `location: any`, fallback and upstream failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
import yaml

from gateway.checks.pii.detector import Detector
from gateway.exchange import Completion, JsonObject
from gateway.providers.base import ProviderCall
from gateway.providers.fake import FakeProvider
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_completions import QUESTION, records
from tests.integration.test_policy_reload import wait_for
from tests.policy_files import LOCAL_KEY, STRICT_KEY


def test_residency_local_keeps_a_cloud_request_local(gateway: RunningGateway, cloud: Cloud) -> None:
    before = len(cloud.app.received)
    raw = gateway.client(LOCAL_KEY).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=QUESTION, max_tokens=4
    )
    assert raw.headers["x-gateway-route"] == "local"
    assert raw.parse().model == "local"
    assert len(cloud.app.received) == before  # nothing of this tenant left the machine
    (record,) = records(gateway)
    assert record.location == "local" and record.route_reasons == ["residency:local"]


def test_location_any_follows_routing_default(gateway: RunningGateway, cloud: Cloud) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(model="auto", messages=QUESTION)
    assert raw.headers["x-gateway-route"] == "cloud"
    assert cloud.app.received[-1]["model"] == "gpt-4o-mini"  # the catalogue's upstream name
    local = gateway.client(STRICT_KEY).chat.completions.with_raw_response.create(
        model="auto", messages=QUESTION, max_tokens=4
    )
    assert local.headers["x-gateway-route"] == "local"  # strict's routing.default is local


def test_cloud_failure_falls_back_to_local(gateway: RunningGateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="fail-500", messages=QUESTION, max_tokens=4
    )
    assert raw.headers["x-gateway-route"] == "local"
    assert raw.parse().model == "local"
    (record,) = records(gateway)
    assert record.route_reasons == ["model:cloud", "fallback:local"]


def test_stream_falls_back_before_the_first_byte(gateway: RunningGateway) -> None:
    chunks = list(
        gateway.client().chat.completions.create(
            model="fail-500", messages=QUESTION, max_tokens=4, stream=True
        )
    )
    assert chunks and all(chunk.model == "local" for chunk in chunks)


def test_upstream_error_without_fallback_is_502(gateway: RunningGateway) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client(STRICT_KEY).chat.completions.create(model="fail-500", messages=QUESTION)
    assert caught.value.status_code == 502
    assert caught.value.response.headers["x-gateway-route"] == "cloud"
    assert caught.value.body["code"] == "upstream_error"  # type: ignore[index]
    assert "upstream broke" not in str(caught.value.body)  # the upstream's words are not passed on
    (record,) = records(gateway)
    assert (record.status_code, record.outcome, record.error_code) == (502, "error", "upstream_error")


def test_upstream_timeout_is_504(gateway: RunningGateway, cloud: Cloud) -> None:
    cloud.app.slow_seconds = 3.0  # the gateway's provider timeout in these policies is 2 s
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client(STRICT_KEY).chat.completions.create(model="fail-slow", messages=QUESTION)
    assert caught.value.status_code == 504
    assert caught.value.body["code"] == "upstream_timeout"  # type: ignore[index]


def test_rate_limit_is_429_with_retry_after(gateway: RunningGateway) -> None:
    demo = gateway.policies_dir / "tenants" / "demo.yaml"
    version = gateway.services.policies.current.version
    demo.write_text(demo.read_text() + "limits:\n  requests_per_minute: 1\n")
    wait_for(lambda: gateway.services.policies.current.version != version)
    client = gateway.client()
    client.chat.completions.create(model="gpt-4o", messages=QUESTION)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)
    assert int(caught.value.response.headers["retry-after"]) > 0
    assert [r.status_code for r in records(gateway)] == [200, 429]


class BrokenProvider(FakeProvider):
    """A provider with a bug: it raises what no provider should let escape."""

    async def complete(self, call: ProviderCall) -> Completion:
        raise RuntimeError("bug with a secret 078-05-1120 in its message")

    async def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        yield {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}
        raise RuntimeError("bug with a secret 078-05-1120 in its message")


def test_a_bug_is_a_plain_500_and_still_one_audit_record(gateway: RunningGateway) -> None:
    config = gateway.services.policies.current.gateway.providers["openai"]
    gateway.services.providers.install("openai", config, BrokenProvider())
    with pytest.raises(openai.InternalServerError) as caught:
        gateway.client(STRICT_KEY).chat.completions.create(model="gpt-4o", messages=QUESTION)
    assert caught.value.status_code == 500 and "078-05-1120" not in str(caught.value.body)
    stream = gateway.client(STRICT_KEY).chat.completions.create(
        model="gpt-4o", messages=QUESTION, stream=True
    )
    with pytest.raises(openai.APIError) as mid_stream:
        list(stream)
    assert "078-05-1120" not in str(mid_stream.value)
    # The stream's record is written after its error event reached the client: wait for it
    # (bounded) rather than read the audit at once, which under load is before it is written.
    wait_for(lambda: len(records(gateway)) >= 2, seconds=30)
    first, second = records(gateway)
    assert (first.status_code, first.outcome, first.error_code) == (500, "error", "internal_error")
    assert (second.status_code, second.outcome, second.error_code) == (200, "error", "internal_error")


def test_monthly_budget_is_enforced_and_survives_a_restart(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> None:
    # gpt-4o at 10 USD per 1k tokens in and out: the stand-in's 12 + 6 tokens cost 0.18 USD.
    def priced(directory: Path) -> None:
        gateway_yaml = directory / "gateway.yaml"
        config = yaml.safe_load(gateway_yaml.read_text())
        config["models"]["gpt-4o"]["price"] = {"input_per_1k": 10, "output_per_1k": 10}
        gateway_yaml.write_text(yaml.safe_dump(config))
        demo = directory / "tenants" / "demo.yaml"
        demo.write_text(demo.read_text() + "limits:\n  monthly_budget_usd: 0.3\n")

    for running in start_gateway(tmp_path, cloud, sqlite_url, presidio, prepare=priced):
        client = running.client()
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # 0.18 of 0.30
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # 0.36: now over
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="gpt-4o", messages=QUESTION)
        assert caught.value.body["code"] == "budget_exceeded"  # type: ignore[index]
    for restarted in start_gateway(tmp_path, cloud, sqlite_url, presidio, prepare=priced):
        with pytest.raises(openai.RateLimitError):  # the spend was read back from the audit log
            restarted.client().chat.completions.create(model="gpt-4o", messages=QUESTION)
