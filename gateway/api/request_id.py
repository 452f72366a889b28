"""Every response carries `x-request-id`; for /v1/ requests it is also the audit record's id."""

from __future__ import annotations

import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

STATE_KEY = "request_id"


def request_id_of(scope: Scope) -> str:
    state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
    request_id = state.get(STATE_KEY)
    if request_id is None:
        request_id = state[STATE_KEY] = f"req_{uuid.uuid4().hex}"
    return str(request_id)


async def add_request_id(message: Message, scope: Scope) -> None:
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["x-request-id"] = request_id_of(scope)
