"""Where an answer carries its text: whole completions and stream chunks, chat and completions.

Output guards read and write the generated text through these, so they agree on its place.
"""

from __future__ import annotations

from typing import Any

from gateway.exchange import Endpoint, JsonObject


def text_of(endpoint: Endpoint, choice: JsonObject) -> Any:
    if endpoint == "completions":
        return choice.get("text")
    message = choice.get("message") or choice.get("delta") or {}
    return message.get("content")


def set_text(endpoint: Endpoint, choice: JsonObject, text: str) -> None:
    if endpoint == "completions":
        choice["text"] = text
        return
    key = "message" if "message" in choice else "delta"
    choice.setdefault(key, {})["content"] = text


def carries_more(endpoint: Endpoint, choice: JsonObject) -> bool:
    """Whether a choice whose text was held back still has something to say."""
    if choice.get("finish_reason") or choice.get("logprobs"):
        return True
    delta = choice.get("delta") or {}
    more = ("role", "tool_calls", "function_call", "refusal")
    return endpoint == "chat" and any(delta.get(key) for key in more)


def chunk_like(template: JsonObject, endpoint: Endpoint, index: int, text: str) -> JsonObject:
    """A stream chunk shaped like `template` that carries `text` for choice `index`."""
    choice: JsonObject = {"index": index, "finish_reason": None}
    if endpoint == "completions":
        choice["text"] = text
    else:
        choice["delta"] = {"content": text}
    return {**{k: v for k, v in template.items() if k not in ("choices", "usage")}, "choices": [choice]}
