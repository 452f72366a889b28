"""OpenAI-compatible endpoints: the HTTP edge of the pipeline, no decisions made here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Stream

from gateway.api.disconnect import DisconnectWatch
from gateway.api.errors import gateway_error_response
from gateway.api.request_id import request_id_of
from gateway.errors import GatewayError, PayloadTooLarge
from gateway.exchange import Endpoint, JsonObject
from gateway.pipeline import Answer, Inbound, handle, list_models
from gateway.services import Services


def _inbound(
    request: Request,
    services: Services,
    endpoint: Endpoint | Literal["models"],
    watch: DisconnectWatch | None = None,
) -> Inbound:
    services.telemetry.begin(endpoint, request.headers)  # this request's trace, until its audit record

    async def read_body() -> bytes:
        try:
            body = await request.body()
        except HTTPException as exc:
            if exc.status_code == 413:
                raise PayloadTooLarge("The request body is larger than the gateway accepts.") from None
            raise
        if watch is not None:
            watch.body_read.set()
        return body

    return Inbound(
        request_id=request_id_of(request.scope),
        endpoint=endpoint,
        authorization=request.headers.get("authorization"),
        read_body=read_body,
    )


async def _serve(request: Request, services: Services, endpoint: Endpoint) -> Response[bytes] | Stream:
    watch = DisconnectWatch(request)
    try:
        answer = await watch.run(handle(services, _inbound(request, services, endpoint, watch)))
    except GatewayError as error:
        return gateway_error_response(error)  # type: ignore[return-value]
    return _respond(answer)


def _respond(answer: Answer) -> Response[bytes] | Stream:
    headers: dict[str, str] = {"x-gateway-route": answer.route.location}
    if answer.flags:
        headers["x-gateway-flags"] = ",".join(answer.flags)
    if answer.chunks is not None:
        return Stream(_sse(answer.chunks), media_type="text/event-stream", headers=headers)
    assert answer.completion is not None
    body = msgspec.json.encode(answer.completion.body)
    return Response(body, media_type="application/json", headers=headers)


async def _sse(chunks: AsyncIterator[JsonObject]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield b"data: " + msgspec.json.encode(chunk) + b"\n\n"
    yield b"data: [DONE]\n\n"


@post("/v1/chat/completions", status_code=200)
async def chat_completions(request: Request, services: Services) -> Response[bytes] | Stream:
    return await _serve(request, services, "chat")


@post("/v1/completions", status_code=200)
async def completions(request: Request, services: Services) -> Response[bytes] | Stream:
    return await _serve(request, services, "completions")


@get("/v1/models")
async def models(request: Request, services: Services) -> Response[bytes]:
    try:
        listed = await list_models(services, _inbound(request, services, "models"))
    except GatewayError as error:
        return gateway_error_response(error)  # type: ignore[return-value]
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "gateway"} for name in listed]
    return Response(msgspec.json.encode({"object": "list", "data": data}), media_type="application/json")


ROUTES = [chat_completions, completions, models]
