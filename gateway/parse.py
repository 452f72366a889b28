"""Validate an OpenAI request body into a `CompletionRequest`; every problem is a clear 400."""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.errors import BadRequest
from gateway.exchange import CompletionRequest, Endpoint

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_NUMBERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_POSITIVE_INTEGERS = ("max_tokens", "max_completion_tokens", "n")
# Deeper than any real request (tool schemas nest a dozen levels); bounds every recursive walk.
MAX_DEPTH = 64


def parse_request(endpoint: Endpoint, raw: bytes) -> CompletionRequest:
    body = decode_body(raw)
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("'model' is required and must be a non-empty string.", param="model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("'stream' must be a boolean.", param="stream")
    if endpoint == "chat":
        _check_messages(body.get("messages"))
    else:
        _check_prompt(body.get("prompt"))
    _check_sampling(body)
    return CompletionRequest(endpoint=endpoint, model=model, stream=stream, body=body)


def decode_body(raw: bytes) -> Any:
    """JSON, UTF-8, nested at most MAX_DEPTH levels: anything else is a 400, never a 500."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise BadRequest("The request body is not valid JSON.") from None
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None
    except RecursionError:  # the decoder's own limit, far deeper than ours
        raise _too_deep() from None
    if _depth_exceeds(body, MAX_DEPTH):
        raise _too_deep()
    return body


def _too_deep() -> BadRequest:
    return BadRequest(f"The request body is nested deeper than {MAX_DEPTH} levels.")


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative on purpose: every later stage that walks the body recursively is then safe.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values() if isinstance(child, (dict, list)))
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' is required and must be a non-empty array.", param="messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise BadRequest(f"'{where}' must be an object.", param=where)
        role = message.get("role")
        if not isinstance(role, str) or role not in _ROLES:  # an object is unhashable: no `in` on it
            raise BadRequest(f"'{where}.role' must be one of {sorted(_ROLES)}.", param=f"{where}.role")
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise BadRequest(f"'{where}.content' must be a string or an array.", param=f"{where}.content")
        if isinstance(content, list):
            for part_index, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    part_where = f"{where}.content[{part_index}]"
                    raise BadRequest(f"'{part_where}' must be an object with a 'type'.", param=part_where)


def _check_prompt(prompt: Any) -> None:
    if isinstance(prompt, str):
        return
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return
    raise BadRequest("'prompt' is required and must be a string or an array of strings.", param="prompt")


def _check_sampling(body: dict[str, Any]) -> None:
    for key in _NUMBERS:
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise BadRequest(f"'{key}' must be a number.", param=key)
    for key in _POSITIVE_INTEGERS:
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise BadRequest(f"'{key}' must be a positive integer.", param=key)
    stop = body.get("stop")
    is_strings = isinstance(stop, list) and all(isinstance(s, str) for s in stop)
    if stop is not None and not isinstance(stop, str) and not is_strings:
        raise BadRequest("'stop' must be a string or an array of strings.", param="stop")
