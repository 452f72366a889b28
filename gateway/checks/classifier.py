"""Input checks whose detector scores each text in [0, 1] (toxicity, prompt injection, ...).

A subclass names its detector factory and its settings' prefix; the rest is common: every text
the request carries is scored (all of a request's texts in one call, and the texts of requests
that wait batched together, by `runner.BatchRunner`), the highest score decides, and the
policy's action applies at `threshold` and above:

    block   403 policy_violation, `param` = the check        outcome blocked
    flag    let through, `x-gateway-flags` names the check     outcome flagged
    shadow  let through, audited as "would have blocked"      outcome flagged, would_block
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import ClassVar, Protocol

from gateway.checks.base import BlockedByCheck, CheckContext, CheckOutcome, Finding, InputCheck, InputScan
from gateway.checks.config import ClassifierConfig
from gateway.checks.runner import BatchRunner, RunnerSettings
from gateway.checks.texts import texts_of

TextsJob = Sequence[str]


class TextClassifier(Protocol):
    version: str

    def many(self, jobs: Sequence[TextsJob]) -> list[list[float]]:
        """For each job (one request's texts), one score per text."""
        ...


class ClassifierCheck(InputCheck):
    settings_prefix: ClassVar[str]  # GATEWAY_<PREFIX>_WORKERS, GATEWAY_<PREFIX>_TIMEOUT_MS

    def __init__(self, context: CheckContext) -> None:
        super().__init__(context)
        settings = RunnerSettings.from_environ(context.environ, self.settings_prefix)
        self._runner: BatchRunner[TextsJob, list[float]] = BatchRunner(self.name, self.detector(), settings)
        self.version = self._runner.version

    @classmethod
    @abstractmethod
    def detector(cls) -> Callable[[], TextClassifier]:
        """A picklable factory of the detector (a class, or a module-level function)."""

    async def scan(self, config: ClassifierConfig, scan: InputScan) -> InputScan:
        texts = [text for text in texts_of(scan.request.endpoint, scan.request.body) if text.strip()]
        scores = await self._runner.run(texts) if texts else []
        hits = sum(1 for score in scores if score >= config.threshold)
        outcome = CheckOutcome(
            self.name, "passed", action=config.action, version=self.version, score=max(scores, default=None)
        )
        if not hits:
            return replace(scan, outcomes=(*scan.outcomes, outcome))
        finding = Finding(self.name, self.name, config.action, hits)
        if config.blocks:
            error = BlockedByCheck(
                f"The request was blocked by policy (check {self.name}).",
                param=self.name,
                findings=(finding,),
            )
            error.outcomes = (replace(outcome, status="blocked", types=((self.name, hits),)),)
            raise error
        flagged = replace(outcome, status="flagged", types=((self.name, hits),), would_block=config.shadow)
        return replace(scan, findings=(*scan.findings, finding), outcomes=(*scan.outcomes, flagged))

    def close(self) -> None:
        self._runner.close()


def score_all(score: Callable[[list[str]], list[float]], jobs: Sequence[TextsJob]) -> list[list[float]]:
    """Score every job's texts in one call of a vectorised model, and split the scores back."""
    flat = [text for job in jobs for text in job]
    scores = score(flat) if flat else []
    out: list[list[float]] = []
    position = 0
    for job in jobs:
        out.append(scores[position : position + len(job)])
        position += len(job)
    return out
