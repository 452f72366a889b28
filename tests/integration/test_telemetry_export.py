"""Telemetry on a real loopback OTLP receiver: one trace per request with a span per stage and
the GenAI attributes, and not one byte of the personal data the requests carried."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest

from gateway.checks.pii.detector import Detector
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.otlp_receiver import OtlpReceiver, attributes
from tests.servers import serve_in_thread

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
STAGES = {
    "gateway.tenancy",
    "gateway.check.pii",
    "gateway.routing",
    "gateway.provider",
    "gateway.output_checks",
    "gateway.audit_write",
}
PII = [
    "Johanna Whitfield",
    "johanna.whitfield@example.com",
    "+1 415 555 0134",
    "415-555-0134",
    "078-05-1120",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "Whitfield",
]
PROMPT = (
    "My name is Johanna Whitfield, e-mail johanna.whitfield@example.com, phone +1 415 555 0134 "
    "or 415-555-0134, SSN 078-05-1120, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00."
)


@contextmanager
def exporting_gateway(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> Iterator[tuple[RunningGateway, OtlpReceiver]]:
    """The gateway exporting OTLP to a receiver; leaving the block stops the gateway, which
    flushes its last spans and metrics, before the caller reads the receiver."""
    receiver = OtlpReceiver()
    with serve_in_thread(receiver) as otlp:
        environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, "OTEL_SERVICE_NAME": "gateway-under-test"}
        gateway = contextmanager(start_gateway)(tmp_path, cloud, sqlite_url, presidio, environ=environ)
        with gateway as running:
            yield running, receiver


def test_one_trace_per_request_with_a_span_per_stage(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> None:
    with exporting_gateway(tmp_path, cloud, sqlite_url, presidio) as (gateway, receiver):
        response = gateway.client().chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "What is the capital of France?"}],
            extra_headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"},
        )
        request_id = response.headers["x-request-id"]

    spans = receiver.spans()
    (root,) = [s for s in spans if attributes(s).get("gateway.request_id") == request_id]
    assert root.name == "POST /v1/chat/completions"
    assert root.kind == root.SPAN_KIND_SERVER
    assert root.trace_id.hex() == TRACE_ID and root.parent_span_id.hex() == CALLER_SPAN  # the caller's trace
    children = [s for s in spans if s.parent_span_id == root.span_id]
    assert {s.name for s in children} >= STAGES
    assert all(s.trace_id == root.trace_id for s in children)
    assert all(root.start_time_unix_nano <= s.start_time_unix_nano <= s.end_time_unix_nano for s in children)
    assert all(s.end_time_unix_nano <= root.end_time_unix_nano for s in children)

    top = attributes(root)
    assert top["gen_ai.operation.name"] == "chat"
    assert top["gen_ai.request.model"] == "gpt-4o" and top["gen_ai.response.model"] == "gpt-4o"
    assert top["gen_ai.provider.name"] == "openai"
    assert top["gen_ai.usage.input_tokens"] > 0 and top["gen_ai.usage.output_tokens"] > 0  # type: ignore[operator]
    assert top["gateway.tenant"] == "demo" and top["gateway.route.location"] == "cloud"
    assert top["gateway.check.pii"] == "passed"
    (provider,) = [s for s in children if s.name == "gateway.provider"]
    assert provider.kind == provider.SPAN_KIND_CLIENT
    assert attributes(provider)["gen_ai.provider.name"] == "openai"
    assert attributes(provider)["gen_ai.usage.output_tokens"] == top["gen_ai.usage.output_tokens"]

    (service,) = {
        attribute.value.string_value
        for export in receiver.traces
        for resource in export.resource_spans
        for attribute in resource.resource.attributes
        if attribute.key == "service.name"
    }
    assert service == "gateway-under-test"
    assert receiver.metric_names() >= {
        "gateway.requests",
        "gateway.request.duration",
        "gateway.stage.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
    }


def test_no_span_or_metric_carries_the_personal_data_of_the_requests(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> None:
    with exporting_gateway(tmp_path, cloud, sqlite_url, presidio) as (gateway, receiver):
        client = gateway.client()
        messages = [
            {"role": "system", "content": "You help Johanna Whitfield."},
            {"role": "user", "name": "Johanna Whitfield", "content": PROMPT},
        ]
        email = "johanna.whitfield@example.com"
        client.chat.completions.create(model="gpt-4o", messages=messages, user=email)  # type: ignore[arg-type]
        stream = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)  # type: ignore[arg-type]
        assert len(list(stream)) > 1
        client.completions.create(model="gpt-4o", prompt=PROMPT)
        with pytest.raises(openai.NotFoundError):  # a model name is the caller's text too
            client.chat.completions.create(model="johanna.whitfield@example.com", messages=messages)  # type: ignore[arg-type]
        with pytest.raises(openai.AuthenticationError):
            gateway.client(key="Johanna Whitfield 078-05-1120").models.list()
        scraped = httpx.get(gateway.url + "/metrics").text
    assert "gateway_requests_total" in scraped
    exported = b"".join(receiver.raw)
    assert len(receiver.spans()) >= 5 * len(STAGES) - 10  # the requests were traced
    assert b"gateway.check.pii" in exported and b"gen_ai.usage.input_tokens" in exported  # searchable
    for value in PII:
        assert value.encode() not in exported, value
        assert value not in scraped, value
