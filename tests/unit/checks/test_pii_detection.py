"""The async front: cache per text and scope, time budget, failure -> DetectorUnavailable."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import time
from collections.abc import Sequence

import pytest

from gateway.checks.pii.detection import Detection, DetectionSettings
from gateway.checks.pii.detector import Span
from gateway.checks.pii.scope import DetectionScope, scope_of
from gateway.errors import DetectorUnavailable
from gateway.policy.schema import PiiPolicy
from tests.unit.checks.fakes import FailingDetector, LiteralDetector, SlowDetector

SCOPE = scope_of(PiiPolicy())


async def test_each_text_is_analysed_once_per_scope() -> None:
    detector = LiteralDetector({"Jane": "PERSON"})
    detection = Detection(detector)
    first = await detection.detect(["hi Jane", "bye"], SCOPE)
    again = await detection.detect(["hi Jane", "bye", "new Jane"], SCOPE)
    assert again[:2] == first and len(again[2]) == 1
    assert detector.texts_seen == 3  # "new Jane" only, the second time
    other = scope_of(PiiPolicy(score_threshold=0.9))
    await detection.detect(["hi Jane"], other)
    assert detector.texts_seen == 4  # other tenant settings: analysed again
    detection.close()


async def test_the_cache_is_bounded() -> None:
    detector = LiteralDetector({})
    detection = Detection(detector, DetectionSettings(cache_entries=2))
    for text in ("a", "b", "c", "a"):
        await detection.detect([text], SCOPE)
    assert detector.texts_seen == 4  # "a" was evicted by "c"
    detection.close()


async def test_a_failing_detector_is_unavailable_and_says_nothing_of_the_text() -> None:
    detection = Detection(FailingDetector())
    with pytest.raises(DetectorUnavailable) as caught:
        await detection.detect(["Jane Smith"], SCOPE)
    assert caught.value.code == "pii_detection_unavailable" and caught.value.status_code == 503
    assert "Jane" not in caught.value.message and "broke" not in caught.value.message
    detection.close()


async def test_a_slow_detector_runs_out_of_time() -> None:
    detection = Detection(SlowDetector(1.0), DetectionSettings(timeout_seconds=0.05))
    with pytest.raises(DetectorUnavailable):
        await detection.detect(["text"], SCOPE)
    detection.close()


def test_settings_from_the_environment() -> None:
    settings = DetectionSettings.from_environ(
        {"GATEWAY_PII_WORKERS": "2", "GATEWAY_PII_TIMEOUT_MS": "250", "GATEWAY_PII_CACHE_ENTRIES": "9"}
    )
    assert settings == DetectionSettings(workers=2, timeout_seconds=0.25, cache_entries=9)
    assert DetectionSettings.from_environ({}) == DetectionSettings()


async def test_a_dead_worker_process_fails_closed_then_a_new_one_serves() -> None:
    values = {"Jane Smith": "PERSON"}
    detection = Detection(
        functools.partial(LiteralDetector, values), DetectionSettings(workers=1, timeout_seconds=20)
    )
    try:
        assert await detection.detect(["Jane Smith called"], SCOPE) != [()]
        for pid in detection._runner._pool.pids():  # type: ignore[union-attr]
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(DetectorUnavailable):
            await detection.detect(["Jane Smith wrote"], SCOPE)
        (spans,) = await detection.detect(["Jane Smith again"], SCOPE)
        assert [s.entity for s in spans] == ["PERSON"]
    finally:
        detection.close()


class BatchRecorder(LiteralDetector):
    """Records the size of every batch it is given, and takes a moment over each."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.batches: list[int] = []

    def many(self, jobs: Sequence[tuple[Sequence[str], DetectionScope]]) -> list[list[tuple[Span, ...]]]:
        self.batches.append(len(jobs))
        time.sleep(0.05)
        return super().many(jobs)


async def test_requests_that_wait_are_analysed_together_and_each_gets_its_own_spans() -> None:
    detector = BatchRecorder({"Jane Smith": "PERSON", "jane@x.example": "EMAIL_ADDRESS"})
    detection = Detection(detector)
    texts = [f"note {n}: " + ("Jane Smith" if n % 2 else "jane@x.example") for n in range(10)]
    results = await asyncio.gather(*(detection.detect([text], SCOPE) for text in texts))
    assert detector.batches == [1, 9]  # the first went alone; the rest waited for it, together
    for n, (spans,) in enumerate(results):
        assert [s.entity for s in spans] == ["PERSON" if n % 2 else "EMAIL_ADDRESS"]
        assert texts[n][spans[0].start : spans[0].end] in ("Jane Smith", "jane@x.example")
    detection.close()
