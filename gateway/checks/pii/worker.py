"""What runs inside a detection worker process.

Each worker builds its detector once, in the pool's initializer, and keeps it for its life.
That detector is the one piece of module-level state in the PII stage, on purpose: a worker
process has no other place to keep it between tasks (the pool calls plain functions), and the
state exists only in worker processes, never in the gateway's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from gateway.checks.pii.detector import Detector, Span
from gateway.checks.pii.scope import DetectionScope
from gateway.lifetime import die_with_parent

_state: dict[str, Detector] = {}  # this worker's detector, under "detector"


def start(factory: Callable[[], Detector], parent_pid: int) -> None:
    die_with_parent(parent_pid)  # a worker must not outlive the gateway that started it
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    _state["detector"] = factory()


def detect(texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
    return _state["detector"].detect(texts, scope)


def detect_many(jobs: Sequence[tuple[Sequence[str], DetectionScope]]) -> list[list[tuple[Span, ...]]]:
    return _state["detector"].detect_many(jobs)


def version() -> str:
    return _state["detector"].version


def warm(executor: Executor, workers: int) -> str:
    """Start every worker now (not on the first request) and return the detector's version."""
    futures = [executor.submit(version) for _ in range(workers)]  # one per worker, spawned at once
    versions = [future.result() for future in futures]
    return versions[0]
