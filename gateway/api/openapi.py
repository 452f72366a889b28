"""The OpenAPI document of the OpenAI-compatible endpoints, served at `GET /openapi.json`.

Written out rather than derived from the handlers: they read the raw body (so that every
problem is the gateway's own 400 in the OpenAI error shape), which Litestar's generator could
not describe. It says what `parse.py` accepts, every status the gateway may answer and the
OpenAI error body they all carry; `make fuzz` holds the gateway to it with schemathesis.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get

Schema = dict[str, Any]

_NUMBER = {"type": ["number", "null"]}
_POSITIVE = {"type": ["integer", "null"], "minimum": 1}
_STRINGS = {"type": "array", "items": {"type": "string"}}

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "code": {"type": ["string", "null"]},
                "param": {"type": ["string", "null"]},
            },
        }
    },
}

_SAMPLING: dict[str, Schema] = {
    "stream": {"type": "boolean"},
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "max_tokens": _POSITIVE,
    "n": _POSITIVE,
    "stop": {"oneOf": [{"type": "string"}, _STRINGS, {"type": "null"}]},
    "user": {"type": "string"},
}

CONTENT_PART: Schema = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string"}, "text": {"type": "string"}},
}

MESSAGE: Schema = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"enum": ["system", "developer", "user", "assistant", "tool", "function"]},
        "content": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": CONTENT_PART}, {"type": "null"}]
        },
        "name": {"type": "string"},
        "tool_call_id": {"type": "string"},
    },
}

CHAT_REQUEST: Schema = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": {
        "model": {"type": "string", "minLength": 1, "examples": ["gpt-4o"]},
        "messages": {"type": "array", "minItems": 1, "items": MESSAGE},
        "max_completion_tokens": _POSITIVE,
        "stream_options": {"type": ["object", "null"], "properties": {"include_usage": {"type": "boolean"}}},
        **_SAMPLING,
    },
}

COMPLETIONS_REQUEST: Schema = {
    "type": "object",
    "required": ["model", "prompt"],
    "properties": {
        "model": {"type": "string", "minLength": 1, "examples": ["gpt-4o"]},
        "prompt": {"oneOf": [{"type": "string"}, {**_STRINGS, "minItems": 1}]},
        **_SAMPLING,
    },
}

USAGE: Schema = {
    "type": "object",
    "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}},
}

COMPLETION: Schema = {
    "type": "object",
    "required": ["object", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"enum": ["chat.completion", "text_completion"]},
        "model": {"type": "string"},
        "choices": {"type": "array", "items": {"type": "object"}},
        "usage": USAGE,
    },
}

MODELS: Schema = {
    "type": "object",
    "required": ["object", "data"],
    "properties": {
        "object": {"const": "list"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "object"],
                "properties": {"id": {"type": "string"}, "object": {"const": "model"}},
            },
        },
    },
}

_ERRORS = {
    "400": "Bad request: the body is not what the endpoint takes",
    "401": "No key, or a key the gateway does not know",
    "403": "A policy blocked the request (`code: policy_violation`, `param` names the check)",
    "404": "Unknown model, or one this tenant may not use",
    "413": "The body is larger than the gateway accepts",
    "429": "Rate limit or budget reached (`Retry-After`)",
    "502": "The upstream provider failed",
    "503": "The gateway cannot serve right now (`Retry-After`)",
    "504": "The upstream provider timed out",
}


def _responses(ok: Schema, streams: bool) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": ok}}
    if streams:
        # Server-sent events, each `data: <a chunk as JSON>` and a last `data: [DONE]`.
        event = {"type": "object", "required": ["data"], "properties": {"data": {"type": "string"}}}
        content["text/event-stream"] = {"schema": event}
    responses: dict[str, Any] = {"200": {"description": "The answer", "content": content}}
    for status, description in _ERRORS.items():
        responses[status] = {"description": description, "content": {"application/json": {"schema": ERROR}}}
    return responses


def _completion_operation(summary: str, request: Schema) -> dict[str, Any]:
    return {
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
        "responses": _responses(COMPLETION, streams=True),
    }


DOCUMENT: Schema = {
    "openapi": "3.1.0",
    "info": {
        "title": "Privacy gateway (OpenAI-compatible)",
        "version": "1",
        "description": "The OpenAI API subset the gateway serves, under the tenant's policy.",
    },
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/v1/chat/completions": {"post": _completion_operation("Chat completion", CHAT_REQUEST)},
        "/v1/completions": {"post": _completion_operation("Text completion", COMPLETIONS_REQUEST)},
        "/v1/models": {
            "get": {"summary": "The models this tenant may use", "responses": _responses(MODELS, False)}
        },
    },
}


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi() -> Response[Schema]:
    return Response(DOCUMENT)


ROUTES = [openapi]
