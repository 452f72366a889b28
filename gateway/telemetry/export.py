"""Where spans and OpenTelemetry metrics go, from the standard environment variables.

Off by default. `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal `..._TRACES_ENDPOINT` /
`..._METRICS_ENDPOINT`) turns on OTLP export of traces and metrics, over HTTP/protobuf unless
`OTEL_EXPORTER_OTLP_PROTOCOL=grpc`; `OTEL_SERVICE_NAME` names the service (default `gateway`).
`OTEL_SDK_DISABLED=true` turns it all off. `GATEWAY_OTEL_CONSOLE=1` prints spans to stdout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)


@dataclass(frozen=True, slots=True)
class Exporting:
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None

    def shutdown(self) -> None:
        """Flush what is buffered (the last requests' spans) and stop the export threads."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


def exporting_from(environ: Mapping[str, str]) -> Exporting:
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return Exporting()
    resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME") or "gateway"})
    traces = _endpoint(environ, "TRACES", "v1/traces")
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    if traces or environ.get("GATEWAY_OTEL_CONSOLE") == "1":
        tracer_provider = TracerProvider(resource=resource)
        if traces:
            tracer_provider.add_span_processor(BatchSpanProcessor(_span_exporter(environ, traces)))
        if environ.get("GATEWAY_OTEL_CONSOLE") == "1":
            tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    if metrics := _endpoint(environ, "METRICS", "v1/metrics"):
        readers: list[MetricReader] = [PeriodicExportingMetricReader(_metric_exporter(environ, metrics))]
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    return Exporting(tracer_provider, meter_provider)


def _grpc(environ: Mapping[str, str]) -> bool:
    return environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") == "grpc"


def _endpoint(environ: Mapping[str, str], signal: str, path: str) -> str | None:
    """The per-signal variable is used as it is; the generic one gets the signal's path (HTTP)."""
    if specific := environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"):
        return specific
    if generic := environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return generic if _grpc(environ) else generic.rstrip("/") + "/" + path
    return None


def _span_exporter(environ: Mapping[str, str], endpoint: str) -> SpanExporter:
    if _grpc(environ):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpans

        return GrpcSpans(endpoint=endpoint)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpans

    return HttpSpans(endpoint=endpoint)


def _metric_exporter(environ: Mapping[str, str], endpoint: str) -> MetricExporter:
    if _grpc(environ):
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics

        return GrpcMetrics(endpoint=endpoint)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics

    return HttpMetrics(endpoint=endpoint)
