"""`checks.output.pii` in the output chain: the PII guard, last, with its outcome for the audit.

The guard itself (`guard.PiiGuard`) scans the answer and restores the caller's pseudonyms; it
is in every chain that has pseudonyms to restore, whether or not the answer is scanned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.checks.base import CheckOutcome, Finding, InputScan, OutputCheck
from gateway.checks.output import OutputGuard
from gateway.checks.pii.check import DETECTOR_UNAVAILABLE
from gateway.checks.pii.config import PiiOutputConfig
from gateway.checks.pii.guard import guard_for
from gateway.exchange import Completion, JsonObject

if TYPE_CHECKING:
    from gateway.policy.schema import TenantPolicy


class OutputPii(OutputCheck):
    name = "pii"
    config_model = PiiOutputConfig

    def guard(self, config: PiiOutputConfig | None, policy: TenantPolicy, scan: InputScan) -> OutputGuard:
        detection = self.context.pii_detection
        version = detection.version if detection is not None else "unavailable"
        inner = guard_for(policy, scan, detection)
        return _Audited(inner, config, version, failed=DETECTOR_UNAVAILABLE in scan.must_stay_local)


class _Audited:
    """The PII guard, plus the outcome its findings amount to."""

    def __init__(self, inner: OutputGuard, config: PiiOutputConfig | None, version: str, failed: bool):
        self._inner = inner
        self._config = config
        self._version = version
        self._failed = failed

    def start(self, completion: Completion) -> None:
        self._inner.start(completion)

    async def on_completion(self, completion: Completion) -> Completion:
        return await self._inner.on_completion(completion)

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        return await self._inner.on_chunk(chunk)

    async def finish(self) -> list[JsonObject]:
        return await self._inner.finish()

    def redacted_answer(self) -> str | None:
        return self._inner.redacted_answer()

    def findings(self) -> tuple[Finding, ...]:
        return self._inner.findings()

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        config = self._config
        if config is None:
            return (CheckOutcome("pii", "skipped", stage="output", version=self._version),)
        if self._failed:  # detection was down; the answer came from the local model, unscanned
            return (
                CheckOutcome("pii", "failed", stage="output", action=config.action, version=self._version),
            )
        types = tuple((finding.kind, finding.count) for finding in self.findings())
        status = "passed"
        if types:
            status = {"redact": "rewritten", "block": "blocked"}.get(config.action, "flagged")
        outcome = CheckOutcome(
            "pii",
            status,  # type: ignore[arg-type]
            stage="output",
            action=config.action,
            version=self._version,
            types=types,
            would_block=config.shadow and bool(types),
        )
        return (outcome,)
