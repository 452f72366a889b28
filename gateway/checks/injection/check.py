"""`prompt_injection`: the classifier and directive phrases over every text of a request."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gateway.checks.classifier import ClassifierCheck, TextClassifier, TextsJob
from gateway.checks.injection.config import InjectionConfig
from gateway.checks.injection.detector import InjectionDetector


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
