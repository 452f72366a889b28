"""The Prometheus side of the metrics, served by `GET /metrics` in the text format.

Under `serve --workers N` the server processes write their values into files under
`PROMETHEUS_MULTIPROC_DIR` (set by the supervisor before the workers start: prometheus-client
picks its storage when it is imported), and a scrape of any worker reads all of them.
Labels are tenant, endpoint, stage, check and outcome names: never request content.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class PrometheusMetrics:
    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir or os.environ.get(MULTIPROCESS_ENV) or None
        self.registry = registry = CollectorRegistry()
        self._stages: dict[str, Any] = {}
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "gateway_requests",
            "Requests by endpoint, tenant, route location, outcome and HTTP status",
            ["endpoint", "tenant", "location", "outcome", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "gateway_request_duration_seconds",
            "Request latency, from the request's arrival to its audit record",
            ["endpoint", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "gateway_stage_duration_seconds",
            "Latency of each pipeline stage (tenancy, checks, routing, provider, output, audit)",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.tokens = Counter(
            "gateway_tokens",
            "Tokens by tenant and type (input, output)",
            ["tenant", "type"],
            registry=registry,
        )
        self.cost = Counter(
            "gateway_cost_usd", "Spend at catalogue prices, by tenant", ["tenant"], registry=registry
        )
        self.check_outcomes = Counter(
            "gateway_check_outcomes",
            "Check outcomes (passed, flagged, rewritten, blocked, failed, skipped) by check",
            ["check", "status"],
            registry=registry,
        )
        self.blocks = Counter("gateway_blocks", "Requests blocked, by check", ["check"], registry=registry)
        self.local_queue_depth = Gauge(
            "gateway_local_queue_depth",
            "Requests queued or running on the local model",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.audit_write_lag = Histogram(
            "gateway_audit_write_lag_seconds",
            "From a request's audit record being handed to the writer to its commit",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )

    def stage_histogram(self, stage: str) -> Any:
        """The labelled child, looked up once: `labels()` costs more than the observation."""
        child = self._stages.get(stage)
        if child is None:
            child = self._stages[stage] = self.stage_seconds.labels(stage)
        return child

    def labelled(self, metric: Any, *values: str) -> Any:
        key = (id(metric), values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def exposition(self) -> bytes:
        if self.multiprocess_dir:
            everyone = CollectorRegistry()
            MultiProcessCollector(everyone, path=self.multiprocess_dir)
            return generate_latest(everyone)
        return generate_latest(self.registry)
