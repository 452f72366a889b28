"""The provider seam: a request body in, an OpenAI-shaped completion or chunk stream out.

Providers convert their own exceptions at this boundary into `UpstreamError`,
`UpstreamTimeout` or `ServiceUnavailable`; nothing foreign escapes to the pipeline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from gateway.exchange import Completion, Endpoint, JsonObject


@dataclass(frozen=True, slots=True)
class ProviderCall:
    endpoint: Endpoint
    upstream_model: str
    body: JsonObject  # the caller's body after input checks; `model` is replaced by the provider


class Provider(Protocol):
    async def complete(self, call: ProviderCall) -> Completion: ...

    def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        """Chunks as they come; the last may carry `usage` with empty `choices`."""
        ...

    async def aclose(self) -> None: ...
