"""The runner every check shares: batching of waiting requests, time budget, worker processes."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from gateway.checks.runner import BatchRunner, RunnerSettings
from gateway.checks.toxicity.detector import ProfanityDetector
from gateway.errors import CheckUnavailable


class Counting:
    """Scores each text by its length; slow enough that requests pile up while it works."""

    version = "counting 1"

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.gate = threading.Event()

    def many(self, jobs: Sequence[Sequence[str]]) -> list[list[float]]:
        self.batches.append(len(jobs))
        self.gate.wait(1.0)
        return [[float(len(text)) for text in job] for job in jobs]


async def test_requests_that_wait_are_analysed_together_and_each_gets_its_own_result() -> None:
    detector = Counting()
    runner: BatchRunner[Sequence[str], list[float]] = BatchRunner("counting", lambda: detector)
    first = asyncio.ensure_future(runner.run(["a"]))
    await asyncio.sleep(0.05)  # the first batch is running; the next ones wait
    rest = [asyncio.ensure_future(runner.run(["b" * n, "c"])) for n in range(1, 6)]
    await asyncio.sleep(0.05)
    detector.gate.set()
    assert await first == [1.0]
    assert [await r for r in rest] == [[float(n), 1.0] for n in range(1, 6)]
    assert detector.batches == [1, 5]
    runner.close()


async def test_a_run_past_its_budget_is_unavailable_naming_the_check() -> None:
    class Stuck(Counting):
        def many(self, jobs: Sequence[Sequence[str]]) -> list[list[float]]:
            time.sleep(0.3)
            return super().many(jobs)

    runner: BatchRunner[Sequence[str], list[float]] = BatchRunner(
        "stuck", Stuck, RunnerSettings(timeout_seconds=0.05)
    )
    with pytest.raises(CheckUnavailable) as caught:
        await runner.run(["text"])
    assert caught.value.param == "stuck" and caught.value.status_code == 503
    runner.close()


async def test_worker_processes_build_the_detector_themselves_and_score_the_same() -> None:
    runner: BatchRunner[Sequence[str], list[float]] = BatchRunner(
        "toxicity", ProfanityDetector, RunnerSettings(workers=1, timeout_seconds=30)
    )
    try:
        (score,) = await runner.run(["you worthless idiot"])
        assert runner.version.startswith("alt-profanity-check")
        assert score == pytest.approx(ProfanityDetector().score(["you worthless idiot"])[0])
    finally:
        runner.close()


class Raising:
    """Fails on every batch, with a message that quotes its input."""

    version = "raising 1"

    def many(self, jobs: Sequence[Sequence[str]]) -> list[list[float]]:
        raise ValueError(f"cannot score {jobs[0][0]}")


async def test_a_detector_that_raises_in_its_worker_is_unavailable_and_only_its_type_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner: BatchRunner[Sequence[str], list[float]] = BatchRunner(
        "raising", Raising, RunnerSettings(workers=1, timeout_seconds=30)
    )
    try:
        with pytest.raises(CheckUnavailable):
            await runner.run(["Jane Smith"])
        assert "ValueError" in caplog.text and "Jane" not in caplog.text
        with pytest.raises(CheckUnavailable):  # the worker lives on and answers again
            await runner.run(["again"])
    finally:
        runner.close()


class OneBuilds:
    """Builds in the first worker to try; in any other, its model is missing."""

    version = "one-builds 1"

    def __init__(self, marker: str) -> None:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))  # FileExistsError for the others

    def many(self, jobs: Sequence[Sequence[str]]) -> list[list[float]]:
        return [[0.0 for _ in job] for job in jobs]


def test_a_detector_that_cannot_be_built_stops_the_runner_and_leaves_no_worker_running(
    tmp_path: Path,
) -> None:
    factory = functools.partial(OneBuilds, str(tmp_path / "built"))
    with pytest.raises(RuntimeError, match="could not build its detector: FileExistsError") as caught:
        BatchRunner("one-builds", factory, RunnerSettings(workers=2, timeout_seconds=30))
    assert caught.traceback  # held, as a caller that reports it would: the pool is not yet garbage
    deadline = time.monotonic() + 10
    while any(p.name == "one-builds-worker" for p in multiprocessing.active_children()):
        assert time.monotonic() < deadline, "a worker outlived the runner that failed to start"
        time.sleep(0.05)
