"""The typed values that travel down the pipeline: the caller's request and the provider's reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Endpoint = Literal["chat", "completions"]
JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """A validated OpenAI request. `body` is the JSON object to forward, model name included."""

    endpoint: Endpoint
    model: str
    stream: bool
    body: JsonObject

    def with_body(self, body: JsonObject) -> CompletionRequest:
        return CompletionRequest(self.endpoint, self.model, self.stream, body)


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add_from(self, payload: JsonObject) -> None:
        usage = payload.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            self.completion_tokens = int(usage.get("completion_tokens") or 0)


@dataclass(slots=True)
class Completion:
    """A whole (non-streamed) provider answer, OpenAI-shaped."""

    body: JsonObject
    usage: Usage = field(default_factory=Usage)


def answer_text(endpoint: Endpoint, payload: JsonObject) -> str:
    """The generated text of a completion or of one stream chunk (all choices joined)."""
    parts: list[str] = []
    for choice in payload.get("choices") or ():
        if endpoint == "completions":
            parts.append(choice.get("text") or "")
            continue
        message = choice.get("message") or choice.get("delta") or {}
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
    return "".join(parts)


def prompt_text(request: CompletionRequest) -> str:
    """All text the caller sent, for audit content (after the input checks rewrote it)."""
    if request.endpoint == "completions":
        prompt = request.body.get("prompt")
        return prompt if isinstance(prompt, str) else "\n".join(str(p) for p in prompt or ())
    lines: list[str] = []
    for message in request.body.get("messages", ()):
        content = message.get("content")
        if isinstance(content, str):
            lines.append(f"{message.get('role')}: {content}")
        elif isinstance(content, list):
            texts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
            lines.append(f"{message.get('role')}: {' '.join(texts)}")
    return "\n".join(lines)
