"""The cloud: any OpenAI-compatible API, called through the official `openai` SDK.

Bodies pass through as JSON objects (`cast_to=dict`) so fields the SDK does not know survive,
and the SDK's typed models are not built and torn down again on every request.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import openai

from gateway.errors import UpstreamError, UpstreamTimeout
from gateway.exchange import Completion, JsonObject, Usage
from gateway.providers.base import ProviderCall

_PATHS = {"chat": "/chat/completions", "completions": "/completions"}
JsonDict = dict[str, Any]


class OpenAICloudProvider:
    def __init__(self, base_url: str, api_key: str, timeout_seconds: float) -> None:
        self._client = openai.AsyncOpenAI(
            base_url=base_url or None,
            api_key=api_key or "unset",
            timeout=timeout_seconds,
            max_retries=0,  # the gateway decides about retries and fallback, not the SDK
            http_client=openai.DefaultAioHttpClient(timeout=timeout_seconds),
        )

    async def complete(self, call: ProviderCall) -> Completion:
        body = {**call.body, "model": call.upstream_model, "stream": False}
        try:
            payload = await self._client.post(_PATHS[call.endpoint], body=body, cast_to=JsonDict)
        except openai.OpenAIError as exc:
            raise _converted(exc) from None
        if not isinstance(payload, dict):
            raise UpstreamError("The upstream provider returned a malformed response.")
        usage = Usage()
        usage.add_from(payload)
        return Completion(body=payload, usage=usage)

    async def stream(self, call: ProviderCall) -> AsyncIterator[JsonObject]:
        body = {**call.body, "model": call.upstream_model, "stream": True}
        # Ask for usage so the audit record has token counts; the pipeline drops that extra
        # chunk again unless the caller asked for it.
        body.setdefault("stream_options", {"include_usage": True})
        try:
            chunks = await self._client.post(
                _PATHS[call.endpoint],
                body=body,
                cast_to=JsonDict,
                stream=True,
                stream_cls=openai.AsyncStream[JsonDict],
            )
            async with chunks:
                async for chunk in chunks:
                    yield chunk
        except openai.OpenAIError as exc:
            raise _converted(exc) from None

    async def aclose(self) -> None:
        await self._client.close()


def _converted(exc: openai.OpenAIError) -> UpstreamError:
    # Upstream messages may quote the request: never pass them on, only the status.
    if isinstance(exc, openai.APITimeoutError) and not _unreachable(exc):
        return UpstreamTimeout("The upstream provider timed out.")
    if isinstance(exc, openai.APIStatusError):
        return UpstreamError(f"The upstream provider answered with HTTP {exc.status_code}.")
    if isinstance(exc, openai.APIConnectionError):
        return UpstreamError("The upstream provider could not be reached.")
    return UpstreamError("The upstream provider failed.")


def _unreachable(exc: BaseException) -> bool:
    """A refused connection or an unknown host somewhere in the cause chain. The aiohttp
    transport reports those as connect *timeouts*; they are upstream errors (502), not 504."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (ConnectionError, socket.gaierror)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
