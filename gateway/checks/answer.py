"""Where an answer carries its text: whole completions and stream chunks, chat and completions.

Output guards read and write the generated text through these, so they agree on its place;
`ChoiceTexts` is the one loop over a stream chunk's choices that every rewriting guard runs.
"""

from __future__ import annotations

from collections.abc import Iterator
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


class ChoiceTexts:
    """One stream chunk's choices, for a guard that rewrites each choice's text in place:

        texts = ChoiceTexts(endpoint, chunk)
        for index, choice, piece in texts:  # piece: the choice's text; None when it carries none
            texts.put(choice, piece, out)   # out: what the caller gets of it now; "" holds it back
        return texts.passed()               # [chunk], or [] when no choice has anything to say

    A chunk without choices (a usage chunk) yields none and passes as it is.

    Plain iteration rather than a callback, so that a guard awaits its own scans and nothing
    more per chunk (the first byte waits for no extra step)."""

    __slots__ = ("_chunk", "_endpoint", "_keep")

    def __init__(self, endpoint: Endpoint, chunk: JsonObject) -> None:
        self._endpoint = endpoint
        self._chunk = chunk
        self._keep = False

    def __iter__(self) -> Iterator[tuple[int, JsonObject, str | None]]:
        for choice in self._chunk.get("choices") or ():
            piece = text_of(self._endpoint, choice)
            yield int(choice.get("index") or 0), choice, piece if isinstance(piece, str) else None

    def put(self, choice: JsonObject, piece: str | None, out: str) -> None:
        if piece is not None or out:
            set_text(self._endpoint, choice, out)
        self._keep = self._keep or bool(out) or carries_more(self._endpoint, choice)

    def passed(self) -> list[JsonObject]:
        return [self._chunk] if self._keep or not self._chunk.get("choices") else []
