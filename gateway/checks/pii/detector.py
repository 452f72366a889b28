"""The detector seam: texts in, PII spans out. Values never leave this layer, only offsets.

`Detector.detect` is synchronous and CPU-bound; `detection.Detection` runs it off the event
loop (a thread or a worker process) under a time budget. Test fakes subclass `Detector`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.checks.pii.scope import DetectionScope


@dataclass(frozen=True, slots=True)
class Span:
    entity: str
    start: int
    end: int
    score: float


class Detector(ABC):
    version: str = "unknown"  # recorded in the audit record's check outcome

    @abstractmethod
    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        """One tuple of spans per text, for the entities of `scope` at its threshold."""

    def many(self, jobs: Sequence[tuple[Sequence[str], DetectionScope]]) -> list[list[tuple[Span, ...]]]:
        """Several requests' texts at once, each with its own scope. A detector that can
        analyse a batch cheaper than its texts one by one (NER) overrides this."""
        return [self.detect(texts, scope) for texts, scope in jobs]

    def close(self) -> None:  # noqa: B027  (most detectors hold nothing to release)
        """Release what the detector holds (worker processes); it is not used afterwards."""
