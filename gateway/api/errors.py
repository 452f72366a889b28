"""The one place where errors become HTTP responses, always in the OpenAI error shape."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException

from gateway.errors import GatewayError

log = logging.getLogger(__name__)


def error_body(message: str, error_type: str, code: str, param: str | None = None) -> dict[str, object]:
    return {"error": {"message": message, "type": error_type, "code": code, "param": param}}


def gateway_error_response(error: GatewayError) -> Response[dict[str, object]]:
    headers = {}
    if error.route is not None:
        headers["x-gateway-route"] = error.route
    if error.retry_after_seconds is not None:
        headers["retry-after"] = str(error.retry_after_seconds)
    return Response(
        error_body(error.message, error.error_type, error.code, error.param),
        status_code=error.status_code,
        headers=headers,
    )


def on_gateway_error(_: Request, error: GatewayError) -> Response[dict[str, object]]:
    return gateway_error_response(error)


def on_http_exception(_: Request, error: HTTPException) -> Response[dict[str, object]]:
    # Litestar's own rejections (unknown route, wrong method): its detail never holds content.
    code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
        error.status_code, "invalid_request"
    )
    message = error.detail if error.status_code < 500 else "Internal error."
    return Response(
        error_body(message, "invalid_request_error", code),
        status_code=error.status_code,
        headers=dict(error.headers or {}),
    )


def on_unexpected(_: Request, error: Exception) -> Response[dict[str, object]]:
    # The type only: a message or traceback could carry request content.
    log.error("unexpected %s while serving a request", type(error).__name__)
    return Response(error_body("Internal error.", "internal_error", "internal_error"), status_code=500)
