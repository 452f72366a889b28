"""The toxicity checks: every text of the request, and every finished sentence of the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from gateway.checks.base import CheckOutcome, InputScan
from gateway.checks.classifier import ClassifierCheck, TextClassifier, TextsJob
from gateway.checks.output import BatchedOutputCheck, OutputGuard, SentenceGuard
from gateway.checks.runner import BatchRunner
from gateway.checks.sentences import sentences
from gateway.checks.toxicity.config import ToxicityInputConfig, ToxicityOutputConfig
from gateway.checks.toxicity.detector import ProfanityDetector
from gateway.errors import CheckUnavailable, PolicyViolation

REDACTED = "[removed: toxicity] "


class Toxicity:
    """What the input and the output check share: the policy name, the settings and the
    detector. Listed first among the bases, so that it provides the stage's `detector`."""

    name: ClassVar[str] = "toxicity"
    settings_prefix: ClassVar[str] = "TOXICITY"  # GATEWAY_TOXICITY_WORKERS, GATEWAY_TOXICITY_TIMEOUT_MS

    @classmethod
    def detector(cls) -> Callable[[], TextClassifier]:
        return ProfanityDetector


class InputToxicity(Toxicity, ClassifierCheck):
    config_model = ToxicityInputConfig


class OutputToxicity(Toxicity, BatchedOutputCheck[TextsJob, list[float]]):
    config_model = ToxicityOutputConfig

    def enabled_guard(self, config: ToxicityOutputConfig, scan: InputScan) -> OutputGuard:
        return SentenceGuard(scan.request.endpoint, ToxicAnswer(self._runner, config))


class ToxicAnswer:
    """One answer's toxicity, sentence by sentence."""

    def __init__(self, runner: BatchRunner[TextsJob, list[float]], config: ToxicityOutputConfig) -> None:
        self._runner = runner
        self._config = config
        self._hits = 0
        self._top: float | None = None
        self._failed = False

    async def check(self, text: str) -> str:
        pieces = sentences(text)
        try:
            scores = await self._runner.run(pieces)
        except CheckUnavailable:  # fail closed: the answer is withheld, the audit says failed
            self._failed = True
            raise
        self._top = max([*scores, *([self._top] if self._top is not None else [])], default=None)
        offending = [score >= self._config.threshold for score in scores]
        self._hits += sum(offending)
        if not any(offending) or self._config.action in ("flag", "shadow"):
            return text
        if self._config.action == "block":
            raise PolicyViolation(
                "The answer was withheld by policy (check output toxicity).", param="output:toxicity"
            )
        return "".join(REDACTED if bad else piece for piece, bad in zip(pieces, offending, strict=True))

    def outcome(self) -> CheckOutcome:
        action = self._config.action
        status = "failed" if self._failed else "passed"
        if self._hits and not self._failed:
            status = {"redact": "rewritten", "block": "blocked"}.get(action, "flagged")
        return CheckOutcome(
            "toxicity",
            status,  # type: ignore[arg-type]
            stage="output",
            action=action,
            version=self._runner.version,
            score=self._top,
            types=(("toxicity", self._hits),) if self._hits else (),
            would_block=action == "shadow" and bool(self._hits),
        )
