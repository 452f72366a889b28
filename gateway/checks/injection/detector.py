"""The prompt-injection detector: the classifier's score, or certainty where a directive phrase
(`directives`) appears in any piece of the text (its windows, its decoded blobs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gateway.checks.injection import directives
from gateway.checks.injection.classifier import MODEL_DIR, InjectionClassifier
from gateway.checks.injection.text import pieces

PHRASES_VERSION = "phrases-1"


@dataclass(frozen=True, slots=True)
class Verdict:
    score: float  # 0..1; a phrase match scores 1.0
    by: Literal["classifier", "phrase"]


class InjectionDetector:
    def __init__(self, classifier: InjectionClassifier) -> None:
        self._classifier = classifier
        self.threshold = classifier.threshold  # chosen on the validation splits
        self.version = f"{classifier.version}+{PHRASES_VERSION}"

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> InjectionDetector:
        return cls(InjectionClassifier.load(directory))

    def verdict(self, text: str) -> Verdict:
        found = pieces(text)
        if any(directives.matched(piece) for piece in found):
            return Verdict(1.0, "phrase")
        best = max(self._classifier.decision(piece) for piece in found)
        return Verdict(self._classifier.probability(best), "classifier")

    def verdicts(self, texts: Sequence[str]) -> list[Verdict]:
        return [self.verdict(text) for text in texts]
