"""One trace per request: a root span opened at the HTTP edge and ended with the audit record,
and one child span per stage (`stage("routing")`), so an operator sees where the time goes.

The request's telemetry lives in a context variable, like OpenTelemetry's own current span:
each request is its own asyncio task, so it is per request, and tasks spawned for a request
inherit it. Code deep in a stage (a check runner, a provider wrapper) opens its span with
`stage(...)` without any object threaded through to it; outside a request it does nothing.

Litestar's OpenTelemetry plugin is not used: it needs the ASGI instrumentation package and
fills the server span with HTTP attributes (URL, headers) that the gateway cannot vouch for; the
root span here carries only what is listed in `Telemetry.observe`.

Attributes are set only from names the gateway controls (stage and check names, catalogue model
names, counts, outcomes); exceptions are recorded by type, never by message, because a message
can quote the request.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from opentelemetry import context, propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue
from prometheus_client import Gauge

from gateway.errors import GatewayError

StageObserver = Callable[[str, float], None]
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(slots=True)
class RequestTelemetry:
    tracer: Tracer
    root: Span
    observe_stage: StageObserver
    local_queue_depth: Gauge
    ended: bool = False
    extra: dict[str, AttributeValue] = field(default_factory=dict)  # set by stages for the root


_current: ContextVar[RequestTelemetry | None] = ContextVar("gateway_request_telemetry", default=None)


def begin_request(
    tracer: Tracer,
    name: str,
    headers: Mapping[str, str],
    observe_stage: StageObserver,
    local_queue_depth: Gauge,
) -> RequestTelemetry:
    """Open the request's root span (a child of the caller's `traceparent`, if it sent one) and
    make it current for the rest of this request's task."""
    parent = propagate.extract(headers)
    root = tracer.start_span(name, context=parent, kind=SpanKind.SERVER)
    context.attach(trace.set_span_in_context(root, parent))  # detached with the task, at its end
    request = RequestTelemetry(tracer, root, observe_stage, local_queue_depth)
    _current.set(request)
    return request


def current_request() -> RequestTelemetry | None:
    return _current.get()


class StageSpan:
    """What a stage may add to its span: attributes from names and counts, never content."""

    __slots__ = ("_request", "_span")

    def __init__(self, span: Span | None, request: RequestTelemetry | None) -> None:
        self._span, self._request = span, request

    def set(self, key: str, value: AttributeValue, on_request: bool = False) -> None:
        if self._span is not None:
            self._span.set_attribute(key, value)
        if on_request and self._request is not None:
            self._request.extra[key] = value


class Stage:
    """One use of `stage(...)`: a context manager, or a decorator of a plain function (each call
    gets its own span). A class rather than a generator: it runs several times per request."""

    __slots__ = ("_attributes", "_kind", "_name", "_request", "_span", "_started", "_token")

    def __init__(self, name: str, kind: SpanKind, attributes: Mapping[str, AttributeValue] | None) -> None:
        self._name, self._kind, self._attributes = name, kind, attributes
        self._request: RequestTelemetry | None = None
        self._span: Span | None = None

    def __enter__(self) -> StageSpan:
        request = self._request = _current.get()
        if request is None:
            return StageSpan(None, None)
        self._started = time.perf_counter()
        span = self._span = request.tracer.start_span(
            f"gateway.{self._name}", kind=self._kind, attributes=self._attributes
        )
        self._token = context.attach(trace.set_span_in_context(span))
        return StageSpan(span, request)

    def __exit__(self, kind: type[BaseException] | None, raised: BaseException | None, _: object) -> None:
        request, span = self._request, self._span
        if request is None or span is None:
            return
        context.detach(self._token)
        if isinstance(raised, GatewayError):  # by code, never the message: it could quote the request
            span.set_attribute("gateway.error_code", raised.code)
            if raised.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR, raised.code))
        elif raised is not None:
            span.set_status(Status(StatusCode.ERROR, type(raised).__name__))
        span.end()
        request.observe_stage(self._name, time.perf_counter() - self._started)

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:
        name, kind, attributes = self._name, self._kind, self._attributes

        @functools.wraps(function)
        def staged(*args: P.args, **kwargs: P.kwargs) -> R:
            with Stage(name, kind, attributes):
                return function(*args, **kwargs)

        return staged


def stage(
    name: str, kind: SpanKind = SpanKind.INTERNAL, attributes: Mapping[str, AttributeValue] | None = None
) -> Stage:
    """A child span of the current request for one stage, and its latency in the metrics."""
    return Stage(name, kind, attributes)


@contextmanager
def open_span(name: str, kind: SpanKind, attributes: Mapping[str, AttributeValue]) -> Iterator[StageSpan]:
    """Like `stage`, for work that spans several yields of a generator (a stream): the span is
    not made current, so the caller's spans between chunks are not its children."""
    request = _current.get()
    if request is None:
        yield StageSpan(None, None)
        return
    started = time.perf_counter()
    span = request.tracer.start_span(f"gateway.{name}", kind=kind, attributes=attributes)
    try:
        yield StageSpan(span, request)
    except GatewayError as error:
        span.set_attribute("gateway.error_code", error.code)
        if error.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR, error.code))
        raise
    except BaseException as raised:
        span.set_status(Status(StatusCode.ERROR, type(raised).__name__))
        raise
    finally:
        span.end()
        request.observe_stage(name, time.perf_counter() - started)
