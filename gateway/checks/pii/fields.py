"""Every place of a request body that carries text, read in one fixed order and written back.

Chat: each message's `content` (a string, or the `text` / `refusal` of each part), its `name`,
and the string values inside each tool call's (and legacy function call's) JSON `arguments`.
Completions: the `prompt`, a string or a list of strings.

`texts_of` and `rewrite` walk the same order, so the n-th text read is the n-th one replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from gateway.exchange import Endpoint, JsonObject

IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})
_PART_TEXT_KEYS = ("text", "refusal")

Visit = Callable[[str], str]


def texts_of(endpoint: Endpoint, body: JsonObject) -> list[str]:
    found: list[str] = []

    def collect(text: str) -> str:
        found.append(text)
        return text

    _walk(endpoint, body, collect)
    return found


def rewrite(endpoint: Endpoint, body: JsonObject, replacements: list[str]) -> JsonObject:
    """A copy of `body` whose texts are `replacements`, in `texts_of` order."""
    pending: Iterator[str] = iter(replacements)
    return _walk(endpoint, body, lambda _: next(pending))


def image_count(endpoint: Endpoint, body: JsonObject) -> int:
    if endpoint != "chat":
        return 0
    return sum(
        1
        for message in body.get("messages") or ()
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") in IMAGE_PART_TYPES
    )


def _walk(endpoint: Endpoint, body: JsonObject, visit: Visit) -> JsonObject:
    if endpoint == "completions":
        prompt = body.get("prompt")
        if isinstance(prompt, str):
            return {**body, "prompt": visit(prompt)}
        if isinstance(prompt, list):
            return {**body, "prompt": [visit(p) if isinstance(p, str) else p for p in prompt]}
        return body
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    return {**body, "messages": [_message(m, visit) if isinstance(m, dict) else m for m in messages]}


def _message(message: JsonObject, visit: Visit) -> JsonObject:
    out = dict(message)
    content = message.get("content")
    if isinstance(content, str):
        out["content"] = visit(content)
    elif isinstance(content, list):
        out["content"] = [_part(part, visit) for part in content]
    if isinstance(message.get("name"), str):
        out["name"] = visit(message["name"])
    if isinstance(message.get("tool_calls"), list):
        out["tool_calls"] = [_tool_call(call, visit) for call in message["tool_calls"]]
    if isinstance(message.get("function_call"), dict):
        out["function_call"] = _function(message["function_call"], visit)
    return out


def _part(part: Any, visit: Visit) -> Any:
    if not isinstance(part, dict):
        return part
    out = dict(part)
    for key in _PART_TEXT_KEYS:
        if isinstance(part.get(key), str):
            out[key] = visit(part[key])
    return out


def _tool_call(call: Any, visit: Visit) -> Any:
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        return call
    return {**call, "function": _function(call["function"], visit)}


def _function(function: JsonObject, visit: Visit) -> JsonObject:
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        return function
    return {**function, "arguments": _arguments(arguments, visit)}


def _arguments(arguments: str, visit: Visit) -> str:
    """The string values of JSON arguments, one by one; a string that is not JSON as a whole."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return visit(arguments)
    changed = False

    def leaf(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            new = visit(value)
            changed = changed or new != value
            return new
        if isinstance(value, list):
            return [leaf(item) for item in value]
        if isinstance(value, dict):
            return {key: leaf(item) for key, item in value.items()}
        return value

    rebuilt = leaf(parsed)
    return json.dumps(rebuilt, ensure_ascii=False) if changed else arguments
