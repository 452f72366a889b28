"""Telemetry an operator can use, without content: traces (one per request, a span per stage),
OpenTelemetry metrics (OTLP) and Prometheus metrics (`GET /metrics`).

A request's root span and every metric take their attributes from the audit record, which is
PII-free by construction, and from names the gateway controls (stages, checks, catalogue
models); never from the request. GenAI attributes follow the OpenTelemetry semantic
conventions (`gen_ai.*`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, Status, StatusCode, TracerProvider
from opentelemetry.util.types import AttributeValue

from gateway.audit.record import AuditRecord
from gateway.telemetry.export import Exporting, exporting_from
from gateway.telemetry.prometheus import PrometheusMetrics
from gateway.telemetry.provider import TracedProvider
from gateway.telemetry.spans import begin_request, current_request, open_span, stage

__all__ = ["PrometheusMetrics", "Telemetry", "TracedProvider", "open_span", "stage"]

OPERATIONS = {"chat": "chat", "completions": "text_completion"}
ROUTES = {
    "chat": "POST /v1/chat/completions",
    "completions": "POST /v1/completions",
    "models": "GET /v1/models",
}


class Telemetry:
    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        prometheus: PrometheusMetrics | None = None,
        exporting: Exporting | None = None,
    ) -> None:
        self._tracer = trace.get_tracer("gateway", tracer_provider=tracer_provider)
        meter = metrics.get_meter("gateway", meter_provider=meter_provider)
        self.prometheus = prometheus or PrometheusMetrics()
        self._exporting = exporting or Exporting()
        self._requests = meter.create_counter("gateway.requests", description="requests by outcome")
        self._latency = meter.create_histogram("gateway.request.duration", unit="ms")
        self._tokens = meter.create_counter("gateway.tokens", description="prompt + completion tokens")
        self._stage_latency = meter.create_histogram("gateway.stage.duration", unit="s")
        self._token_usage = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="tokens per request, by type"
        )
        self._operation = meter.create_histogram("gen_ai.client.operation.duration", unit="s")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Telemetry:
        """OTLP export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see `export.py`); spans to
        stdout with `GATEWAY_OTEL_CONSOLE=1`; Prometheus metrics always."""
        exporting = exporting_from(environ)
        return cls(exporting.tracer_provider, exporting.meter_provider, exporting=exporting)

    def begin(self, endpoint: str, headers: Mapping[str, str]) -> None:
        """At the HTTP edge: open this request's trace (see `spans.py`)."""
        begin_request(
            self._tracer,
            ROUTES.get(endpoint, endpoint),
            headers,
            self.observe_stage,
            self.prometheus.local_queue_depth,
        )

    def observe_stage(self, name: str, seconds: float) -> None:
        self.prometheus.stage_histogram(name).observe(seconds)
        self._stage_latency.record(seconds, {"gateway.stage": name})

    def observe_audit_write(self, seconds: float) -> None:
        self.prometheus.audit_write_lag.observe(seconds)

    def observe(self, record: AuditRecord, cost_usd: float = 0.0) -> None:
        """The request's end: its root span closed with the record's attributes, and metrics."""
        tenant = record.tenant or ""
        attributes: dict[str, str | int] = {
            "gateway.endpoint": record.endpoint,
            "gateway.tenant": tenant,
            "gateway.location": record.location or "",
            "gateway.outcome": record.outcome,
            "http.response.status_code": record.status_code or 0,
        }
        self._end_root(record, attributes)
        self._requests.add(1, attributes)
        self._latency.record(record.latency_ms, attributes)
        self._tokens.add(record.prompt_tokens + record.completion_tokens, {"gateway.tenant": tenant})
        if record.endpoint in OPERATIONS:
            genai = _genai_attributes(record)
            self._token_usage.record(record.prompt_tokens, {**genai, "gen_ai.token.type": "input"})
            self._token_usage.record(record.completion_tokens, {**genai, "gen_ai.token.type": "output"})
            self._operation.record(record.latency_ms / 1000, genai)
        self._count_prometheus(record, cost_usd)

    def shutdown(self) -> None:
        self._exporting.shutdown()

    def _end_root(self, record: AuditRecord, attributes: dict[str, str | int]) -> None:
        request = current_request()
        detail: dict[str, AttributeValue] = {
            **attributes,
            "gateway.request_id": record.request_id,
            "gateway.route.location": record.location or "",
            "gateway.route_reasons": record.route_reasons,
            "gateway.policy_version": record.policy_version or "",
            "gateway.error_code": record.error_code or "",
            "gateway.findings": [f"{f['check']}:{f['kind']}" for f in record.findings],
            **{f"gateway.check.{_check_key(check)}": str(check["status"]) for check in record.checks},
        }
        if record.endpoint in OPERATIONS:
            detail.update(_genai_attributes(record))
            detail["gen_ai.usage.input_tokens"] = record.prompt_tokens
            detail["gen_ai.usage.output_tokens"] = record.completion_tokens
        span: Span
        if request is not None and not request.ended:
            request.ended = True
            span = request.root
            span.set_attributes({**detail, **request.extra})
            if (record.status_code or 0) >= 500:
                span.set_status(Status(StatusCode.ERROR, record.error_code or ""))
            span.end()
            return
        # No trace was opened for this request (an error path outside the pipeline's edge): one
        # span from the record's own times.
        span = self._tracer.start_span(
            f"gateway {record.endpoint}", start_time=_nanoseconds(record.started_at), attributes=detail
        )
        if (record.status_code or 0) >= 500:
            span.set_status(Status(StatusCode.ERROR, record.error_code or ""))
        span.end(end_time=_nanoseconds(record.finished_at))

    def _count_prometheus(self, record: AuditRecord, cost_usd: float) -> None:
        metrics_, tenant = self.prometheus, record.tenant or ""
        child = metrics_.labelled
        status = str(record.status_code)
        child(metrics_.requests, record.endpoint, tenant, record.location or "", record.outcome, status).inc()
        child(metrics_.request_seconds, record.endpoint, record.outcome).observe(record.latency_ms / 1000)
        if record.prompt_tokens:
            child(metrics_.tokens, tenant, "input").inc(record.prompt_tokens)
        if record.completion_tokens:
            child(metrics_.tokens, tenant, "output").inc(record.completion_tokens)
        if cost_usd > 0:
            child(metrics_.cost, tenant).inc(cost_usd)
        for check in record.checks:
            child(metrics_.check_outcomes, _check_key(check), str(check["status"])).inc()
        if record.outcome == "blocked":
            blocking = {_check_key(c) for c in record.checks if c["status"] == "blocked"}
            blocking |= {str(f["check"]) for f in record.findings if f["action"] == "block"}
            for name in blocking or {"policy"}:
                child(metrics_.blocks, name).inc()


def _check_key(check: dict[str, Any]) -> str:
    """`pii` for the input check, `output.pii` for the output check of the same name."""
    return f"output.{check['check']}" if check.get("stage") == "output" else str(check["check"])


def _genai_attributes(record: AuditRecord) -> dict[str, str]:
    attributes = {"gen_ai.operation.name": OPERATIONS[record.endpoint]}
    if record.model_requested:  # catalogue names only: the audit record keeps nothing else
        attributes["gen_ai.request.model"] = record.model_requested
    if record.model_served:
        attributes["gen_ai.response.model"] = record.model_served
    return attributes


def _nanoseconds(moment: datetime) -> int:
    # Integer arithmetic: a float timestamp loses the microseconds at today's epoch values.
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
