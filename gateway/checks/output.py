"""The output stage's seam: sees the answer (whole or chunk by chunk) before the caller does.

`OutputGuard` is per request. The PII stage replaces `PassThrough` with a guard that scans the
model's text and restores the caller's pseudonyms, holding back at most a token's length.
"""

from __future__ import annotations

from typing import Protocol

from gateway.exchange import Completion, JsonObject


class OutputGuard(Protocol):
    def on_completion(self, completion: Completion) -> Completion: ...

    def on_chunk(self, chunk: JsonObject) -> list[JsonObject]: ...

    def finish(self) -> list[JsonObject]:
        """Chunks still held back when the stream ends."""
        ...

    def redacted_answer(self) -> str | None:
        """The answer as it may be audited (redacted), or None when it was not scanned."""
        ...


class PassThrough:
    def on_completion(self, completion: Completion) -> Completion:
        return completion

    def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        return [chunk]

    def finish(self) -> list[JsonObject]:
        return []

    def redacted_answer(self) -> str | None:
        return None
