"""The /v1/ requests the gateway does not serve: unknown paths (404), wrong methods (405) and
oversized headers (431). Each is answered in the OpenAI error shape and audited like any other
/v1/ request (the contract: every /v1/ request gets exactly one record)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec
from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from gateway.api.errors import error_body, gateway_error_response
from gateway.api.request_id import request_id_of
from gateway.errors import GatewayError, HeadersTooLarge, MethodNotAllowed, RouteNotFound
from gateway.pipeline import Inbound, refuse
from gateway.services import Services

# Far above any real client's headers (a bearer key is ~50 bytes); a 1 MB header is refused
# before anything hashes or logs it.
MAX_HEADER_BYTES = 8 * 1024
MAX_HEADERS_BYTES = 32 * 1024
_ALL = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]
_SERVED = {
    "/v1/chat/completions": HttpMethod.POST,
    "/v1/completions": HttpMethod.POST,
    "/v1/models": HttpMethod.GET,
}


async def _refused(request: Request, services: Services, error: GatewayError) -> Response[dict[str, object]]:
    services.telemetry.begin("other", request.headers)
    inbound = Inbound(
        request_id=request_id_of(request.scope),
        endpoint="other",
        authorization=request.headers.get("authorization"),
        read_body=request.body,
    )
    return gateway_error_response(await refuse(services, inbound, error))


@route("/v1/{rest:path}", http_method=_ALL, status_code=200)
async def unknown_path(request: Request, services: Services) -> Response[dict[str, object]]:
    return await _refused(request, services, RouteNotFound("Unknown API path."))


def _wrong_method(path: str, served: HttpMethod) -> HTTPRouteHandler:
    async def handler(request: Request, services: Services) -> Response[dict[str, object]]:
        error = MethodNotAllowed(f"Method not allowed: use {served.value}.")
        response = await _refused(request, services, error)
        response.headers["allow"] = served.value
        return response

    handler.__name__ = f"wrong_method_{path.strip('/').replace('/', '_')}"
    return route(path, http_method=[m for m in _ALL if m != served], name=handler.__name__, status_code=200)(
        handler
    )


ROUTES = [unknown_path, *(_wrong_method(path, served) for path, served in _SERVED.items())]


def header_limit(services: Services) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware factory: refuse requests whose headers are too large (431)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and _too_large(scope["headers"]):
                error = HeadersTooLarge("The request headers are larger than the gateway accepts.")
                if scope["path"].startswith("/v1/"):
                    inbound = Inbound(request_id_of(scope), "other", None, _no_body)
                    await refuse(services, inbound, error)  # the key is not even looked at
                await _send_error(send, error)
                return
            await app(scope, receive, send)

        return guarded

    return middleware


def _too_large(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    total = 0
    for name, value in headers:
        size = len(name) + len(value)
        if size > MAX_HEADER_BYTES:
            return True
        total += size
    return total > MAX_HEADERS_BYTES


async def _send_error(send: Send, error: GatewayError) -> None:
    body = msgspec.json.encode(error_body(error.message, error.error_type, error.code, error.param))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _no_body() -> bytes:
    return b""
