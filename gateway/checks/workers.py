"""A check's worker processes, each on a pipe that the event loop writes and reads itself.

Not `ProcessPoolExecutor`: its jobs cross two helper threads of the gateway on the way to a
worker and one on the way back, and each of those waits for the GIL while the other checks'
threads compute. A 5 ms job with three 1 ms thread jobs beside it took 9.8 ms there and 7.2 ms
on a pipe (and 6.3 against 5.9 alone): here the loop pickles and writes a batch in `submit`,
and reads the answer when the pipe is readable.

- Each worker builds its detector once from a picklable factory and says its version; the pool
  waits for every worker when it starts (the gateway starts no sooner than its checks).
- A worker that dies (its pipe closes) fails the batch it held with `WorkerDied`, and a new one
  starts in its place; batches wait for a worker that is ready.
- A detector that raises sends back only the exception's type name (`DetectorFailed`), never
  its message: it could quote the text.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from gateway.lifetime import die_with_parent

log = logging.getLogger(__name__)
_START_SECONDS = 120.0  # a detector that loads models (Presidio: about a second) gets this long


class WorkerDied(RuntimeError):
    """The worker process holding the batch exited before it answered."""


class DetectorFailed(RuntimeError):
    """The detector raised in its worker; `kind` is the exception's type name."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(eq=False)
class _Worker:
    process: Any  # multiprocessing's SpawnProcess
    connection: Connection
    ready: bool = False
    holding: asyncio.Future[list[Any]] | None = None
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)


class WorkerPool:
    def __init__(self, check: str, factory: Callable[[], Any], count: int) -> None:
        self.check = check
        self._factory = factory
        self._context = multiprocessing.get_context("spawn")  # forking a process with threads is unsafe
        self._waiting: deque[tuple[Sequence[Any], asyncio.Future[list[Any]]]] = deque()
        self._workers = [self._spawn() for _ in range(count)]
        self.version = ""
        try:
            for worker in self._workers:  # every worker ready, not only the first
                self.version = self._await_ready(worker)
        except BaseException:  # none of them is left running
            self.close()
            raise

    def submit(self, jobs: Sequence[Any]) -> asyncio.Future[list[Any]]:
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append((jobs, future))
        self._send_waiting()
        return future

    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    def close(self) -> None:
        for worker in self._workers:
            self._drop(worker)
            if worker.holding is not None and not worker.holding.done():
                worker.holding.cancel()
        for _, future in self._waiting:
            future.cancel()
        self._workers, self._waiting = [], deque()

    def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, self._factory, os.getpid()), name=f"{self.check}-worker", daemon=True
        )
        process.start()
        theirs.close()  # so that the worker's exit closes the pipe here
        return _Worker(process, ours)

    def _await_ready(self, worker: _Worker) -> str:
        if not worker.connection.poll(_START_SECONDS):
            raise RuntimeError(f"a {self.check} worker did not start in {_START_SECONDS:.0f} s")
        try:
            kind, value = worker.connection.recv()
        except EOFError:
            raise RuntimeError(f"a {self.check} worker exited before it was ready") from None
        if kind != "ready":
            raise RuntimeError(f"a {self.check} worker could not build its detector: {value}")
        worker.ready = True
        return str(value)

    def _send_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        for worker in self._workers:
            self._watch(worker, loop)
        idle = [worker for worker in self._workers if worker.ready and worker.holding is None]
        while self._waiting and idle:
            jobs, future = self._waiting.popleft()
            if future.done():  # its caller gave up while it waited
                continue
            worker = idle.pop(0)
            worker.holding = future
            try:
                worker.connection.send(jobs)
            except (OSError, ValueError):  # the worker is gone
                self._died(worker)
                return
            except Exception as exc:  # the batch does not pickle: nothing was written
                worker.holding = None
                future.set_exception(exc)
                idle.insert(0, worker)

    def _watch(self, worker: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        if worker.loop is not loop:
            worker.loop = loop
            loop.add_reader(worker.connection.fileno(), self._readable, worker)

    def _readable(self, worker: _Worker) -> None:
        try:
            kind, value = worker.connection.recv()
        except (EOFError, OSError):
            self._died(worker)
            return
        if kind == "ready":  # a replacement finished starting
            worker.ready = True
        else:
            future, worker.holding = worker.holding, None
            if future is not None and not future.done():
                if kind == "ok":
                    future.set_result(value)
                else:
                    future.set_exception(DetectorFailed(str(value)))
        self._send_waiting()

    def _died(self, worker: _Worker) -> None:
        log.error("a %s worker process died; starting a new one", self.check)
        self._drop(worker)
        future = worker.holding
        if future is not None and not future.done():
            future.set_exception(WorkerDied(f"a {self.check} worker process died"))
        if worker in self._workers:
            replacement = self._spawn()
            self._workers[self._workers.index(worker)] = replacement
            self._watch(replacement, asyncio.get_running_loop())
        self._send_waiting()

    def _drop(self, worker: _Worker) -> None:
        if worker.loop is not None and not worker.loop.is_closed():
            worker.loop.remove_reader(worker.connection.fileno())
        worker.loop = None
        worker.connection.close()
        if worker.process.is_alive():
            worker.process.terminate()


def _serve(connection: Connection, factory: Callable[[], Any], parent_pid: int) -> None:
    """A worker's life: build the detector, say its version, then answer batch after batch."""
    die_with_parent(parent_pid)  # a worker must not outlive the gateway that started it
    try:
        detector = factory()
    except Exception as exc:  # its type only: the message could hold anything
        connection.send(("failed", type(exc).__name__))
        return
    connection.send(("ready", detector.version))
    while True:
        try:
            jobs = connection.recv()
        except EOFError:  # the gateway closed the pool
            return
        try:
            answer = ("ok", detector.many(jobs))
        except Exception as exc:
            answer = ("error", type(exc).__name__)
        connection.send(answer)
