"""The async front of detection: a bounded cache, off-loop execution and a time budget.

- Cache: one entry per (scope, text), least recently used first out. A conversation resends
  its history every turn; only the new messages are analysed again. Keys hold a digest of the
  text, not the text, so the cache keeps no personal data beyond span offsets.
- Execution: `workers=0` runs the detector on one thread of this process (tests, small
  deployments); `workers>0` runs that many worker processes, each building its own detector
  once in its initializer, so detection uses every core instead of contending for the GIL.
- Time budget: a detection that raises or does not finish in `timeout_seconds` raises
  `DetectorUnavailable`; the caller (the PII check) then fails closed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from gateway.checks.pii import worker
from gateway.checks.pii.detector import Detector, Span
from gateway.checks.pii.scope import DetectionScope
from gateway.errors import DetectorUnavailable

log = logging.getLogger(__name__)

_Key = tuple[DetectionScope, bytes]
_MAX_BATCH_JOBS = 32  # requests per batch: enough to batch NER, small enough to stay in budget


@dataclass(slots=True)
class _Job:
    texts: list[str]
    scope: DetectionScope
    future: asyncio.Future[list[tuple[Span, ...]]]


@dataclass(frozen=True)  # no slots: the class attributes serve as the defaults below
class DetectionSettings:
    workers: int = 0
    timeout_seconds: float = 2.0
    cache_entries: int = 4096

    @classmethod
    def from_environ(cls, environ: dict[str, str]) -> DetectionSettings:
        """`GATEWAY_PII_WORKERS`, `GATEWAY_PII_TIMEOUT_MS`, `GATEWAY_PII_CACHE_ENTRIES`."""
        return cls(
            workers=int(environ.get("GATEWAY_PII_WORKERS", cls.workers)),
            timeout_seconds=int(environ.get("GATEWAY_PII_TIMEOUT_MS", cls.timeout_seconds * 1000)) / 1000,
            cache_entries=int(environ.get("GATEWAY_PII_CACHE_ENTRIES", cls.cache_entries)),
        )


class Detection:
    def __init__(
        self,
        detector: Detector | Callable[[], Detector],
        settings: DetectionSettings | None = None,
    ) -> None:
        """`detector` is an instance (in-thread) or, with workers, a picklable factory."""
        self._settings = settings = settings or DetectionSettings()
        self._cache: OrderedDict[_Key, tuple[Span, ...]] = OrderedDict()
        self._pending: list[_Job] = []
        self._busy = 0  # batches running; at most one per worker (one for the thread)
        self._slots = max(1, settings.workers)
        self._executor: Executor
        if settings.workers > 0:
            self._factory = detector if not isinstance(detector, Detector) else type(detector)
            self._executor = self._new_pool()
            self._local: Detector | None = None
            self.version = worker.warm(self._executor, settings.workers)
        else:
            self._local = detector if isinstance(detector, Detector) else detector()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pii")
            self.version = self._local.version

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn": forking a process that runs an event loop and threads is unsafe.
        return ProcessPoolExecutor(
            max_workers=self._settings.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.start,
            initargs=(self._factory, os.getpid()),
        )

    async def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        keys = [_cache_key(scope, text) for text in texts]
        found: dict[int, tuple[Span, ...]] = {}
        missing: list[int] = []
        for index, key in enumerate(keys):
            if key in self._cache:
                self._cache.move_to_end(key)
                found[index] = self._cache[key]
            else:
                missing.append(index)
        if missing:
            fresh = await self._run([texts[i] for i in missing], scope)
            for index, spans in zip(missing, fresh, strict=True):
                found[index] = spans
                self._remember(keys[index], spans)
        return [found[index] for index in range(len(texts))]

    async def _run(self, texts: list[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[tuple[Span, ...]]] = loop.create_future()
        self._pending.append(_Job(texts, scope, future))
        self._dispatch()
        try:
            return await asyncio.wait_for(asyncio.shield(future), self._settings.timeout_seconds)
        except TimeoutError:
            log.warning("PII detection exceeded its %.0f ms budget", self._settings.timeout_seconds * 1000)
        except Exception as exc:  # the detector's own failure: its type only, never its message
            log.warning("PII detection failed: %s", type(exc).__name__)
        message = "PII detection is unavailable; the request was not sent."
        raise DetectorUnavailable(message, retry_after_seconds=2)

    def _dispatch(self) -> None:
        """Send what waits to idle workers, one batch each. Requests that arrive while every
        worker is busy are analysed together next: NER over a batch (`nlp.pipe`) costs about
        half as much per text as one text at a time, so throughput grows with the load."""
        loop = asyncio.get_running_loop()
        while self._pending and self._busy < self._slots:
            batch, self._pending = self._pending[:_MAX_BATCH_JOBS], self._pending[_MAX_BATCH_JOBS:]
            jobs = [(job.texts, job.scope) for job in batch]
            executor = self._executor
            if self._local is not None:
                done = loop.run_in_executor(executor, self._local.detect_many, jobs)
            else:
                done = loop.run_in_executor(executor, worker.detect_many, jobs)
            self._busy += 1
            done.add_done_callback(functools.partial(self._settle, batch=batch, executor=executor))

    def _settle(self, finished: asyncio.Future[Any], *, batch: list[_Job], executor: Executor) -> None:
        self._busy -= 1
        error = None if finished.cancelled() else finished.exception()
        if isinstance(error, BrokenProcessPool) and self._executor is executor:
            # A worker died (killed, out of memory): its requests fail closed, and a new pool
            # serves the next ones once its workers have loaded the model again.
            log.error("a PII worker process died; starting a new pool")
            executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_pool()
        for index, job in enumerate(batch):
            if job.future.done():
                continue
            if finished.cancelled():
                job.future.cancel()
            elif error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(finished.result()[index])
        self._dispatch()

    def remember(self, text: str, scope: DetectionScope, spans: tuple[Span, ...]) -> None:
        """Cache spans the gateway already knows for `text` (an answer it restored, which the
        caller will send back as history next turn), so that text is not analysed again."""
        self._remember(_cache_key(scope, text), spans)

    def _remember(self, key: _Key, spans: tuple[Span, ...]) -> None:
        self._cache[key] = spans
        if len(self._cache) > self._settings.cache_entries:
            self._cache.popitem(last=False)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._local is not None:
            self._local.close()


def _cache_key(scope: DetectionScope, text: str) -> _Key:
    # A digest, not the text: the cache keeps no personal data beyond span offsets.
    return scope, hashlib.blake2b(text.encode(), digest_size=16).digest()
