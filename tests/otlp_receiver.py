"""A real OTLP/HTTP receiver on loopback: it keeps every export it is sent, as protobuf."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.servers import answered_lifespan, read_body


class OtlpReceiver:
    def __init__(self) -> None:
        self.raw: list[bytes] = []  # every payload as received, to search for what must not be there
        self.traces: list[ExportTraceServiceRequest] = []
        self.metrics: list[ExportMetricsServiceRequest] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if await answered_lifespan(scope, receive, send):
            return
        body = await read_body(receive)
        self.raw.append(body)
        reply: bytes
        if scope["path"] == "/v1/traces":
            self.traces.append(ExportTraceServiceRequest.FromString(body))
            reply = ExportTraceServiceResponse().SerializeToString()
        else:
            self.metrics.append(ExportMetricsServiceRequest.FromString(body))
            reply = ExportMetricsServiceResponse().SerializeToString()
        headers = [(b"content-type", b"application/x-protobuf")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": reply})

    def spans(self) -> list[Span]:
        return [
            span
            for export in self.traces
            for resource in export.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]

    def metric_names(self) -> set[str]:
        return {
            metric.name
            for export in self.metrics
            for resource in export.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }


def attributes(span: Span) -> dict[str, object]:
    values: dict[str, object] = {}
    for item in span.attributes:
        value = item.value
        kind = value.WhichOneof("value")
        if kind == "array_value":
            values[item.key] = [getattr(v, v.WhichOneof("value")) for v in value.array_value.values]
        else:
            values[item.key] = getattr(value, kind) if kind else None
    return values
