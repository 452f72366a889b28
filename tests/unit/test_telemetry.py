"""Telemetry is derived from the audit record: one span per request, metrics, no content."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.audit.record import AuditRecord
from gateway.errors import PolicyViolation
from gateway.telemetry import PrometheusMetrics, Telemetry, stage


def test_one_span_and_metrics_per_record() -> None:
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracer_provider, MeterProvider(metric_readers=[reader]))
    start = datetime(2026, 11, 24, tzinfo=UTC)
    record = AuditRecord(
        request_id="req_1",
        started_at=start,
        finished_at=start + timedelta(milliseconds=25),
        endpoint="chat",
        status_code=502,
        outcome="error",
        tenant="demo",
        location="cloud",
        error_code="upstream_error",
        prompt_tokens=3,
        completion_tokens=4,
        latency_ms=25.0,
        findings=[{"check": "pii", "kind": "US_SSN", "action": "block", "count": 1}],
        request_content="<US_SSN> is my number",
    )
    telemetry.observe(record)
    (span,) = spans.get_finished_spans()
    assert span.name == "gateway chat"
    assert span.end_time - span.start_time == 25_000_000  # type: ignore[operator]
    assert span.attributes["gateway.findings"] == ("pii:US_SSN",)  # type: ignore[index]
    assert span.status.status_code.name == "ERROR"
    assert not any("my number" in str(value) for value in span.attributes.values())  # type: ignore[union-attr]
    names = {
        metric.name
        for resource in reader.get_metrics_data().resource_metrics  # type: ignore[union-attr]
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert names == {
        "gateway.requests",
        "gateway.request.duration",
        "gateway.tokens",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
    }


async def test_a_request_is_one_trace_with_a_span_per_stage() -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracer_provider, prometheus=PrometheusMetrics())

    async def request() -> None:  # its own task, as each request is under uvicorn
        telemetry.begin("chat", {})
        with stage("tenancy"):
            pass
        with pytest.raises(PolicyViolation), stage("check.pii"):
            raise PolicyViolation("Blocked: pii:US_SSN.", param="pii:US_SSN")
        start = datetime.now(UTC)
        record = AuditRecord(
            "req_2", start, start, "chat", 403, "blocked", tenant="demo", model_requested="gpt-4o"
        )
        record.checks = [{"check": "pii", "status": "blocked", "detail": ""}]
        telemetry.observe(record)

    await asyncio.create_task(request())
    finished = {span.name: span for span in spans.get_finished_spans()}
    root = finished["POST /v1/chat/completions"]
    assert {
        name for name, span in finished.items() if span.parent and span.parent.span_id == root.context.span_id
    } == {
        "gateway.tenancy",
        "gateway.check.pii",
    }
    assert finished["gateway.check.pii"].attributes["gateway.error_code"] == "policy_violation"  # type: ignore[index]
    assert not finished["gateway.check.pii"].events  # no exception event: its message could quote content
    assert root.attributes["gen_ai.request.model"] == "gpt-4o"  # type: ignore[index]
    assert root.attributes["gateway.check.pii"] == "blocked"  # type: ignore[index]
    exposition = telemetry.prometheus.exposition().decode()
    assert 'gateway_blocks_total{check="pii"} 1.0' in exposition
    assert 'gateway_stage_duration_seconds_count{stage="check.pii"} 1.0' in exposition


def test_stages_outside_a_request_do_nothing() -> None:
    with stage("routing") as span:
        span.set("gateway.anything", 1)
