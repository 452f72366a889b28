"""The output stage's span around any output guard.

A whole answer gets one `output_checks` span. A stream is checked chunk by chunk between the
provider's chunks, so its span covers the guard's last flush and carries the time the guard
spent over the whole stream (`gateway.output.busy_ms`).
"""

from __future__ import annotations

import time

from gateway.checks.base import CheckOutcome, Finding
from gateway.checks.output import OutputGuard
from gateway.exchange import Completion, JsonObject
from gateway.telemetry.spans import stage


class TracedGuard:
    def __init__(self, inner: OutputGuard) -> None:
        self.inner = inner
        self._busy = 0.0

    def start(self, completion: Completion) -> None:
        self.inner.start(completion)

    async def on_completion(self, completion: Completion) -> Completion:
        with stage("output_checks"):
            return await self.inner.on_completion(completion)

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        started = time.perf_counter()
        try:
            return await self.inner.on_chunk(chunk)
        finally:
            self._busy += time.perf_counter() - started

    async def finish(self) -> list[JsonObject]:
        started = time.perf_counter()
        with stage("output_checks") as span:
            try:
                return await self.inner.finish()
            finally:
                busy = self._busy + time.perf_counter() - started
                span.set("gateway.output.busy_ms", round(busy * 1000, 3))

    def redacted_answer(self) -> str | None:
        return self.inner.redacted_answer()

    def findings(self) -> tuple[Finding, ...]:
        return self.inner.findings()

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return self.inner.outcomes()
