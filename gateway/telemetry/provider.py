"""The provider call as a client span with the GenAI attributes, around any provider.

For a stream, the span lasts from the request to the last chunk. Calls to a model on this
machine are counted in the local queue depth while they wait or run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from gateway.exchange import Completion, JsonObject
from gateway.providers.base import Provider, ProviderCall
from gateway.telemetry.spans import StageSpan, current_request, open_span, stage

OPERATIONS = {"chat": "chat", "completions": "text_completion"}
REMOTE_TYPES = frozenset({"openai"})


class TracedProvider:
    def __init__(self, inner: Provider, name: str, provider_type: str) -> None:
        self.inner = inner
        self._name = name  # the provider's key in gateway.yaml
        self._type = provider_type
        self._local = provider_type not in REMOTE_TYPES

    async def complete(self, call: ProviderCall) -> Completion:
        with stage("provider", SpanKind.CLIENT, self._attributes(call)) as span, self._queued():
            completion = await self.inner.complete(call)
            _usage(span, completion.usage.prompt_tokens, completion.usage.completion_tokens)
        return completion

    async def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        with open_span("provider", SpanKind.CLIENT, self._attributes(call)) as span, self._queued():
            async for chunk in self.inner.stream(call):
                if usage := chunk.get("usage"):
                    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
                    _usage(span, int(prompt or 0), int(completion or 0))
                yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _attributes(self, call: ProviderCall) -> dict[str, AttributeValue]:
        return {
            "gen_ai.operation.name": OPERATIONS.get(call.endpoint, call.endpoint),
            "gen_ai.provider.name": self._type,
            "gen_ai.request.model": call.upstream_model,  # from the catalogue, never the caller
            "gen_ai.response.model": call.upstream_model,
            "gateway.provider": self._name,
        }

    @contextmanager
    def _queued(self) -> Iterator[None]:
        request = current_request()
        if request is not None:
            request.extra["gen_ai.provider.name"] = self._type
        if not self._local or request is None:
            yield
            return
        request.local_queue_depth.inc()
        try:
            yield
        finally:
            request.local_queue_depth.dec()


def _usage(span: StageSpan, input_tokens: int, output_tokens: int) -> None:
    span.set("gen_ai.usage.input_tokens", input_tokens)
    span.set("gen_ai.usage.output_tokens", output_tokens)
