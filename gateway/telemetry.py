"""OpenTelemetry traces and metrics, built from the audit record and nothing else.

The audit record is PII-free by construction, so deriving spans and metrics from it (and never
from the request) keeps raw content out of telemetry the same way. One span per request, named
after the endpoint, with the request's real start and end times.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Status, StatusCode, TracerProvider

from gateway.audit.record import AuditRecord


class Telemetry:
    def __init__(
        self, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
    ) -> None:
        self._tracer = trace.get_tracer("gateway", tracer_provider=tracer_provider)
        meter = metrics.get_meter("gateway", meter_provider=meter_provider)
        self._requests = meter.create_counter("gateway.requests", description="requests by outcome")
        self._latency = meter.create_histogram("gateway.request.duration", unit="ms")
        self._tokens = meter.create_counter("gateway.tokens", description="prompt + completion tokens")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Telemetry:
        """`GATEWAY_OTEL_CONSOLE=1` prints spans; otherwise whatever the process configured."""
        if environ.get("GATEWAY_OTEL_CONSOLE") != "1":
            return cls()
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        provider = SdkTracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        return cls(tracer_provider=provider)

    def observe(self, record: AuditRecord) -> None:
        attributes: dict[str, str | int] = {
            "gateway.endpoint": record.endpoint,
            "gateway.tenant": record.tenant or "",
            "gateway.location": record.location or "",
            "gateway.outcome": record.outcome,
            "http.response.status_code": record.status_code,
        }
        span = self._tracer.start_span(
            f"gateway {record.endpoint}",
            start_time=_nanoseconds(record.started_at),
            attributes={
                **attributes,
                "gateway.request_id": record.request_id,
                "gateway.model": record.model_served or "",
                "gateway.route_reasons": record.route_reasons,
                "gateway.policy_version": record.policy_version or "",
                "gateway.error_code": record.error_code or "",
                "gateway.findings": [f"{f['check']}:{f['kind']}" for f in record.findings],
            },
        )
        if record.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR, record.error_code or ""))
        span.end(end_time=_nanoseconds(record.finished_at))
        self._requests.add(1, attributes)
        self._latency.record(record.latency_ms, attributes)
        self._tokens.add(
            record.prompt_tokens + record.completion_tokens, {"gateway.tenant": record.tenant or ""}
        )


def _nanoseconds(moment: datetime) -> int:
    # Integer arithmetic: a float timestamp loses the microseconds at today's epoch values.
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
