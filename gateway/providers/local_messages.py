"""The chat history as a local model's chat template can take it: plain text messages.

What the openai SDK sends after a tool call (an assistant message with `content: null` and
`tool_calls`, then `tool` messages with the results) breaks local chat templates, which expect
a string `content` and know no `tool` role. Tool calls and results are rendered as text in the
conversation instead, so a local model sees what happened; nothing is dropped silently.
A pure function: no I/O, no model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

_AS_USER = frozenset({"tool", "function"})  # results: the model reads them as the user's turn


def local_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_rendered(message) for message in messages]


def _rendered(message: dict[str, Any]) -> dict[str, Any]:
    role = str(message.get("role") or "user")
    content = message.get("content")
    if isinstance(content, list) and not all(_is_text(part) for part in content):
        return {"role": role, "content": content}  # images etc.: the provider decides
    text = _text(content)
    calls = [_call_text(call) for call in message.get("tool_calls") or () if isinstance(call, dict)]
    if message.get("function_call"):
        calls.append(_call_text({"function": message["function_call"]}))
    if calls:
        text = "\n".join([text, *calls]) if text else "\n".join(calls)
    if role in _AS_USER:
        label = message.get("tool_call_id") or message.get("name") or ""
        text = f"[tool result{' ' + str(label) if label else ''}]\n{text}"
        role = "user"
    elif role == "developer":
        role = "system"
    return {"role": role, "content": text}


def _is_text(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "text"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text") or "") for part in content if _is_text(part))
    return ""


def _call_text(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    name = function.get("name") if isinstance(function, dict) else None
    arguments = function.get("arguments") if isinstance(function, dict) else None
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return f"[tool call {name or '?'}({arguments or ''})]"
