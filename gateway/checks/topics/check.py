"""`banned_topics`: is any text of the request about a topic the tenant bans?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gateway.checks.base import BlockedByCheck, CheckContext, CheckOutcome, Finding, InputCheck, InputScan
from gateway.checks.runner import BatchRunner, RunnerSettings
from gateway.checks.texts import texts_of
from gateway.checks.topics.config import BannedTopicsConfig
from gateway.checks.topics.detector import TopicDetector, TopicsJob


class BannedTopics(InputCheck):
    name = "banned_topics"
    config_model = BannedTopicsConfig

    def __init__(self, context: CheckContext) -> None:
        super().__init__(context)
        settings = RunnerSettings.from_environ(context.environ, "TOPICS")  # GATEWAY_TOPICS_TIMEOUT_MS
        self._runner: BatchRunner[TopicsJob, list[float]] = BatchRunner(self.name, self.detector(), settings)
        self.version = self._runner.version

    @classmethod
    def detector(cls) -> Callable[[], TopicDetector]:
        return TopicDetector

    async def scan(self, config: BannedTopicsConfig, scan: InputScan) -> InputScan:
        topics = config.named_topics()
        texts = tuple(text for text in texts_of(scan.request.endpoint, scan.request.body) if text.strip())
        scores = await self._runner.run((texts, topics)) if texts else [0.0] * len(topics)
        hit = tuple(
            (topic.name, 1) for topic, score in zip(topics, scores, strict=True) if score >= config.threshold
        )
        outcome = CheckOutcome(
            self.name, "passed", action=config.action, version=self.version, score=max(scores), types=hit
        )
        if not hit:
            return replace(scan, outcomes=(*scan.outcomes, outcome))
        findings = tuple(Finding(self.name, name, config.action) for name, _ in hit)
        if config.blocks:
            error = BlockedByCheck(
                f"The request was blocked by policy: it is about a banned topic, {hit[0][0]} "
                "(check banned_topics).",
                param=self.name,
                findings=findings,
            )
            error.outcomes = (replace(outcome, status="blocked"),)
            raise error
        flagged = replace(outcome, status="flagged", would_block=config.shadow)
        return replace(scan, findings=(*scan.findings, *findings), outcomes=(*scan.outcomes, flagged))

    def close(self) -> None:
        self._runner.close()
