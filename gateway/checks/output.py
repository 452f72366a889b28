"""The output stage's seam: sees the answer (whole or chunk by chunk) before the caller does.

`OutputGuard` is per request. Its methods are coroutines because scanning an answer may wait for
the PII detector (a worker process, with a time budget). The PII stage replaces `PassThrough`
with `checks.pii.guard.PiiGuard`, which scans the model's text and restores the caller's
pseudonyms, holding back at most a token's length (or, when the answer is scanned, a sentence).
"""

from __future__ import annotations

from typing import Protocol

from gateway.checks.base import Finding
from gateway.exchange import Completion, JsonObject


class OutputGuard(Protocol):
    async def on_completion(self, completion: Completion) -> Completion: ...

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]: ...

    async def finish(self) -> list[JsonObject]:
        """Chunks still held back when the stream ends."""
        ...

    def redacted_answer(self) -> str | None:
        """The answer as it may be audited (redacted), or None when it was not scanned."""
        ...

    def findings(self) -> tuple[Finding, ...]:
        """What the output scan found that the model produced: types and counts, no values."""
        ...


class PassThrough:
    async def on_completion(self, completion: Completion) -> Completion:
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        return [chunk]

    async def finish(self) -> list[JsonObject]:
        return []

    def redacted_answer(self) -> str | None:
        return None

    def findings(self) -> tuple[Finding, ...]:
        return ()
