"""`prompt_injection`: the classifier and directive phrases over every text of a request.

Every text the request carries is scored (`checks.texts`: each message, text part, name,
tool-call argument, tool result, the completions prompt), except the `system` and `developer`
messages: they are the application's own instructions, not input, and "You are a helpful
assistant for ..." reads exactly like the opening of a role-play jailbreak.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from gateway.checks.base import InputScan
from gateway.checks.classifier import ClassifierCheck, TextClassifier, TextsJob
from gateway.checks.injection.config import InjectionConfig
from gateway.checks.injection.detector import InjectionDetector

OPERATOR_ROLES = ("system", "developer")


class InjectionScorer:
    """The detector behind the runner's seam: one score per text, the artifact's version."""

    def __init__(self) -> None:
        self._detector = InjectionDetector.load()
        self.version = self._detector.version

    def many(self, jobs: Sequence[TextsJob]) -> list[list[float]]:
        return [[verdict.score for verdict in self._detector.verdicts(job)] for job in jobs]


class PromptInjection(ClassifierCheck):
    name = "prompt_injection"
    config_model = InjectionConfig
    settings_prefix = "INJECTION"  # GATEWAY_INJECTION_WORKERS, GATEWAY_INJECTION_TIMEOUT_MS

    @classmethod
    def detector(cls) -> Callable[[], TextClassifier]:
        return InjectionScorer

    async def scan(self, config: InjectionConfig, scan: InputScan) -> InputScan:  # type: ignore[override]
        request = scan.request
        messages = request.body.get("messages")
        if request.endpoint != "chat" or not isinstance(messages, list):
            return await super().scan(config, scan)
        inputs = [m for m in messages if not (isinstance(m, dict) and m.get("role") in OPERATOR_ROLES)]
        scanned = await super().scan(
            config, replace(scan, request=request.with_body({**request.body, "messages": inputs}))
        )
        return replace(scanned, request=request)  # this check reads; it forwards the request as it came
