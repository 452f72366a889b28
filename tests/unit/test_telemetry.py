"""Telemetry is derived from the audit record: one span per request, metrics, no content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.audit.record import AuditRecord
from gateway.telemetry import Telemetry


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
    assert names == {"gateway.requests", "gateway.request.duration", "gateway.tokens"}
