"""Detectors for tests. They subclass the real base class, so they meet the real seam."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from gateway.checks.pii.detector import Detector, Span
from gateway.checks.pii.scope import DetectionScope


class LiteralDetector(Detector):
    """Finds the values it was given, wherever they occur; counts its calls."""

    version = "literal-test-detector 1"

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values  # value -> entity
        self.calls = 0
        self.texts_seen = 0

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        self.calls += 1
        self.texts_seen += len(texts)
        out: list[tuple[Span, ...]] = []
        for text in texts:
            spans: list[Span] = []
            for value, entity in self.values.items():
                if entity not in scope.entities:
                    continue
                start = text.find(value)
                while start != -1:
                    spans.append(Span(entity, start, start + len(value), 0.9))
                    start = text.find(value, start + 1)
            out.append(tuple(spans))
        return out


class FailingDetector(Detector):
    version = "failing-test-detector 1"

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        raise RuntimeError("the analyzer broke (this message must never reach a caller)")


class SlowDetector(Detector):
    version = "slow-test-detector 1"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        time.sleep(self.seconds)
        return [() for _ in texts]


class DyingDetector(Detector):
    """Ends its own process when it sees `trigger` (a worker killed mid-analysis: out of memory,
    a crash in native code); finds nothing otherwise."""

    version = "dying-test-detector 1"

    def __init__(self, trigger: str = "die now") -> None:
        self.trigger = trigger

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        if any(self.trigger in text for text in texts):
            os._exit(9)
        return [() for _ in texts]
