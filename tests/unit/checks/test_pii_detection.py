"""The async front: cache per text and scope, time budget, failure -> DetectorUnavailable."""

from __future__ import annotations

import functools
import os
import signal

import pytest

from gateway.checks.pii.detection import Detection, DetectionSettings
from gateway.checks.pii.scope import scope_of
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


async def test_a_dead_worker_process_fails_closed_then_a_new_pool_serves() -> None:
    values = {"Jane Smith": "PERSON"}
    detection = Detection(
        functools.partial(LiteralDetector, values), DetectionSettings(workers=1, timeout_seconds=20)
    )
    try:
        assert await detection.detect(["Jane Smith called"], SCOPE) != [()]
        for process in list(detection._executor._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGKILL)
        with pytest.raises(DetectorUnavailable):
            await detection.detect(["Jane Smith wrote"], SCOPE)
        (spans,) = await detection.detect(["Jane Smith again"], SCOPE)
        assert [s.entity for s in spans] == ["PERSON"]
    finally:
        detection.close()
