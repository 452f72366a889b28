"""Every string of a request body the provider will see, read in one fixed order and written back.

What each field gets (the README lists the same):

- scanned and rewritten like message text: each message's `content` (a string, or the `text` /
  `refusal` of each part), `name`, `refusal`, `tool_call_id`, its tool calls' `id`, function
  `name` and the string values inside their JSON `arguments` (legacy `function_call` too);
  completions' `prompt` (a string or a list) and `suffix`; and every string, keys included,
  of every other top-level field: `user`, `stop`, `tools` / `functions` (names, descriptions,
  parameter schemas), `tool_choice`, `response_format` (the JSON schema), `metadata`,
  `prediction`, `audio`, `modalities`, ... (`unknown_fields`: see below);
- passed as they are: `model` (the gateway replaces it with the catalogue's upstream model),
  numbers and booleans, a message's `role` and a content part's `type`;
- images: left to the images check (`routing.images`);
- dropped: keys of a message that are not part of the OpenAI message shape (`metadata`, ...);
- refused (`unscannable_parts`): content parts that are neither text nor an image (audio,
  files): their content cannot be scanned.

`unknown_fields` names the top-level fields the gateway does not know; the PII check refuses
them unless the tenant's `pii.unknown_fields` is `pass` (then they are scanned like the rest).
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


def unknown_fields(endpoint: Endpoint, body: JsonObject) -> list[str]:
    known = _COMPLETION_FIELDS if endpoint == "completions" else _CHAT_FIELDS
    return sorted(key for key in body if key not in known)


def unscannable_parts(endpoint: Endpoint, body: JsonObject) -> list[str]:
    """Types of content parts whose content cannot be scanned (audio, files)."""
    if endpoint != "chat":
        return []
    return sorted(
        {
            str(part.get("type"))
            for message in body.get("messages") or ()
            if isinstance(message, dict) and isinstance(message.get("content"), list)
            for part in message["content"]
            if isinstance(part, dict) and part.get("type") not in (*_PART_TEXT_TYPES, *IMAGE_PART_TYPES)
        }
    )


# The OpenAI request fields the gateway knows (chat completions, legacy completions).
_COMMON_FIELDS = (
    "model stream stream_options temperature top_p n max_tokens presence_penalty frequency_penalty "
    "logit_bias logprobs seed stop user"
)
_CHAT_FIELDS = frozenset(
    (
        f"{_COMMON_FIELDS} messages max_completion_tokens top_logprobs response_format tools "
        "tool_choice parallel_tool_calls functions function_call metadata store modalities audio "
        "prediction reasoning_effort service_tier verbosity web_search_options prompt_cache_key "
        "safety_identifier"
    ).split()
)
_COMPLETION_FIELDS = frozenset(f"{_COMMON_FIELDS} prompt suffix best_of echo".split())
_PASSED = frozenset({"model"})  # the catalogue name, replaced by the upstream model before egress
_MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal"}
)
_PART_TEXT_TYPES = ("text", "refusal")


def _walk(endpoint: Endpoint, body: JsonObject, visit: Visit) -> JsonObject:
    out: JsonObject = {}
    for key, value in body.items():
        if key in _PASSED:
            out[key] = value
        elif key == "messages" and endpoint == "chat" and isinstance(value, list):
            out[key] = [_message(m, visit) if isinstance(m, dict) else m for m in value]
        else:  # prompt, suffix, user, stop, tools, response_format, metadata, ...
            out[key] = _strings(value, visit)
    return out


def _strings(value: Any, visit: Visit) -> Any:
    """Every string inside a JSON value, object keys included (a schema's property names)."""
    if isinstance(value, str):
        return visit(value)
    if isinstance(value, list):
        return [_strings(item, visit) for item in value]
    if isinstance(value, dict):
        return {visit(key): _strings(item, visit) for key, item in value.items()}
    return value


def _message(message: JsonObject, visit: Visit) -> JsonObject:
    out = {key: value for key, value in message.items() if key in _MESSAGE_KEYS}  # the rest: dropped
    content = message.get("content")
    if isinstance(content, str):
        out["content"] = visit(content)
    elif isinstance(content, list):
        out["content"] = [_part(part, visit) for part in content]
    for key in ("name", "refusal", "tool_call_id"):
        if isinstance(message.get(key), str):
            out[key] = visit(message[key])
    if isinstance(message.get("tool_calls"), list):
        out["tool_calls"] = [_tool_call(call, visit) for call in message["tool_calls"]]
    if isinstance(message.get("function_call"), dict):
        out["function_call"] = _function(message["function_call"], visit)
    return out


def _part(part: Any, visit: Visit) -> Any:
    if not isinstance(part, dict) or part.get("type") in IMAGE_PART_TYPES:
        return part
    out = dict(part)
    for key in _PART_TEXT_KEYS:
        if isinstance(part.get(key), str):
            out[key] = visit(part[key])
    return out


def _tool_call(call: Any, visit: Visit) -> Any:
    if not isinstance(call, dict):
        return call
    out = dict(call)
    if isinstance(call.get("id"), str):
        out["id"] = visit(call["id"])
    if isinstance(call.get("function"), dict):
        out["function"] = _function(call["function"], visit)
    return out


def _function(function: JsonObject, visit: Visit) -> JsonObject:
    out = dict(function)
    if isinstance(function.get("name"), str):
        out["name"] = visit(function["name"])
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        out["arguments"] = _arguments(arguments, visit)
    return out


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
