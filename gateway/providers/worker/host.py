"""The gateway's side of a model worker: start it, feed it one request at a time, restart it.

A model runs native code (llama.cpp, torch) that can segfault, abort or be killed for memory.
In its own process that ends the worker, not the gateway: the requests it was serving end
with `LocalModelCrashed` (503), new ones get `LocalModelUnavailable` (503 + Retry-After) while
it restarts with back-off, and cloud traffic never notices.

A worker that stops answering in the middle of a request (a native deadlock, a process stopped
by a signal) is treated as dead: when a request has heard nothing from it for
`WorkerSpec.stall_seconds` (the same limit a cloud call gets), the worker is killed and the
usual crash path follows.

States: `stopped` (not started yet; the first request starts it) -> `starting` (requests queue
and wait for the model to load) -> `ready` -> on death `restarting` (requests are refused at
once) -> `ready` ... ; `closed` after `aclose`. All methods run on the event loop thread, which
is also the thread that starts the worker process (see gateway/lifetime.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

from gateway.errors import (
    BadRequest,
    GatewayError,
    LocalModelBusy,
    LocalModelCrashed,
    LocalModelUnavailable,
)
from gateway.exchange import Endpoint, JsonObject
from gateway.providers.worker import channel

log = logging.getLogger(__name__)

WorkerState = Literal["stopped", "starting", "ready", "restarting", "closed"]
RESTART_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_SECONDS = 60.0  # a worker that served this long before dying restarts at the first step
STOP_GRACE_SECONDS = 2.0
WATCH_INTERVAL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What a provider asks of the host: a name for logs and /readyz, how the worker builds
    its backend (see backend.py), and how many requests may wait for it."""

    name: str
    loader: str
    options: JsonObject
    queue_size: int
    stall_seconds: float = 60.0  # a running request with no word from the worker this long: hung


class WorkerJob:
    """One request's trip through the worker: chunks as they arrive, then the end."""

    __slots__ = ("_arrived", "_chunks", "body", "error", "finished", "run")

    def __init__(self, run: channel.Run) -> None:
        self.run = run
        self._chunks: deque[JsonObject] = deque()
        self._arrived = asyncio.Event()
        self.finished = False
        self.body: JsonObject | None = None
        self.error: GatewayError | None = None

    def feed(self, chunks: list[JsonObject]) -> None:
        self._chunks.extend(chunks)
        self._arrived.set()

    def end(self, body: JsonObject | None = None, error: GatewayError | None = None) -> None:
        if not self.finished:
            self.finished, self.body, self.error = True, body, error
            self._arrived.set()

    async def next_chunk(self) -> JsonObject | None:
        """The next chunk, or None at the end; raises the request's error, if it failed."""
        while not self._chunks:
            if self.finished:
                if self.error is not None:
                    raise self.error
                return None
            self._arrived.clear()
            await self._arrived.wait()
        return self._chunks.popleft()

    async def result(self) -> JsonObject:
        while not self.finished:
            self._arrived.clear()
            await self._arrived.wait()
        if self.error is not None:
            raise self.error
        return self.body or {}


class ModelWorker:
    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.state: WorkerState = "stopped"
        self.pid: int | None = None
        self._ids = itertools.count(1)
        self._waiting: deque[WorkerJob] = deque()  # not sent yet: the worker runs one at a time
        self._running: WorkerJob | None = None
        self._load_failure: str | None = None  # why the model did not load, said to callers
        self._writer: asyncio.StreamWriter | None = None
        self._lifecycle: asyncio.Task[None] | None = None
        self._failures = 0  # deaths in a row, for the back-off
        self._restart_at = 0.0
        self._heard_at = 0.0  # when the running request last heard from the worker

    # --- requests ----------------------------------------------------------------------------

    def submit(self, endpoint: Endpoint, body: JsonObject, stream: bool) -> WorkerJob:
        if self.state == "stopped":
            self.start()
        if self.state in ("restarting", "closed"):
            raise LocalModelUnavailable(
                self._load_failure or "The local model is restarting; retry shortly.",
                retry_after_seconds=self._retry_after(),
            )
        if len(self._waiting) + (self._running is not None) >= self.spec.queue_size:
            raise LocalModelBusy("The local model is busy; retry shortly.", retry_after_seconds=2)
        job = WorkerJob(channel.Run(next(self._ids), endpoint, stream, body))
        self._waiting.append(job)
        self._send_next()
        return job

    def abandon(self, job: WorkerJob) -> None:
        """The caller left: drop the job if it waits, stop generating if it runs."""
        if job.finished:
            return
        if job is self._running:
            self._send(channel.Cancel(job.run.id))  # the worker answers with Done: then the next
        elif job in self._waiting:
            self._waiting.remove(job)
            job.end()

    def _send_next(self) -> None:
        if self.state == "ready" and self._running is None and self._waiting:
            self._running = self._waiting.popleft()
            self._heard_at = time.monotonic()
            self._send(self._running.run)

    def _send(self, message: channel.ToWorker) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(channel.encode(message))

    # --- the process -------------------------------------------------------------------------

    def start(self) -> None:
        if self.state == "stopped":
            self.state = "starting"
            self._lifecycle = asyncio.get_running_loop().create_task(self._run_worker(delay=0.0))

    async def _run_worker(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self.state == "closed":
            return
        try:
            process, reader = await self._spawn()
        except OSError as exc:  # no process to wait for: plan the next try like a death
            log.error("local model worker %r could not start: %s", self.spec.name, type(exc).__name__)
            await self._reap(None, None)
            return
        watchdog = asyncio.get_running_loop().create_task(self._watch(process))
        try:
            ready_at = await self._read(reader)
        finally:
            watchdog.cancel()
        await self._reap(process, ready_at)

    async def _watch(self, process: subprocess.Popen[bytes]) -> None:
        """Kill the worker if the request it runs has heard nothing from it for too long."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
            if self._running is not None and time.monotonic() - self._heard_at > self.spec.stall_seconds:
                log.error(
                    "local model worker %r (pid %s) sent nothing for %.0f s while serving; killing it",
                    self.spec.name, process.pid, self.spec.stall_seconds,
                )  # fmt: skip
                process.kill()  # its socket ends: _read returns and _reap fails the request
                return

    async def _spawn(self) -> tuple[subprocess.Popen[bytes], asyncio.StreamReader]:
        ours, theirs = socket.socketpair()
        command = [
            sys.executable,
            "-m",
            "gateway.providers.worker.child",
            str(theirs.fileno()),
            str(os.getpid()),
        ]
        try:
            process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()  # the worker's end lives in the worker only: its death ends our reads
        self.pid = process.pid
        reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._send(channel.Load(self.spec.loader, self.spec.options))
        return process, reader

    async def _read(self, reader: asyncio.StreamReader) -> float | None:
        """Dispatch the worker's messages until its socket ends; when it became ready, if it did."""
        ready_at: float | None = None
        try:
            while True:
                header = await reader.readexactly(channel.HEADER.size)
                message = channel.decode(await reader.readexactly(channel.frame_length(header)))
                self._heard_at = time.monotonic()
                if isinstance(message, channel.Ready):
                    ready_at = time.monotonic()
                    self.state, self._load_failure = "ready", None
                    log.info(
                        "local model worker %r is ready (pid %s): %s", self.spec.name, self.pid, message.info
                    )
                    self._send_next()
                elif isinstance(message, channel.LoadFailed):
                    log.error("local model worker %r could not load: %s", self.spec.name, message.message)
                    self._load_failure = message.message
                else:
                    self._on_answer(message)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the worker is gone
        except channel.ProtocolError as exc:
            log.error("local model worker %r sent a bad frame (%s); stopping it", self.spec.name, exc)
        return ready_at

    def _on_answer(self, message: channel.Message) -> None:
        job = self._running
        if job is None or getattr(message, "id", None) != job.run.id:
            raise channel.ProtocolError(f"{type(message).__name__} for no running request")
        if isinstance(message, channel.Chunks):
            job.feed(message.chunks)
            return
        if isinstance(message, channel.Done):
            job.end(body=message.body)
        elif isinstance(message, channel.Failed):
            job.end(error=_failure(message))
        else:
            raise channel.ProtocolError(type(message).__name__)
        self._running = None
        self._send_next()

    async def _reap(self, process: subprocess.Popen[bytes] | None, ready_at: float | None) -> None:
        """The socket ended: make sure the process is gone, fail its requests, plan a restart."""
        if self._writer is not None:
            self._writer.close()
        status = await asyncio.to_thread(_stop, process) if process is not None else None
        if self.state == "closed":
            self._fail_all(LocalModelUnavailable("The local model was stopped.", retry_after_seconds=1))
            return
        lasted = time.monotonic() - ready_at if ready_at is not None else 0.0
        self._failures = 1 if lasted >= STABLE_SECONDS else self._failures + 1
        delay = RESTART_BACKOFF_SECONDS[min(self._failures, len(RESTART_BACKOFF_SECONDS)) - 1]
        self.state = "restarting"
        self._restart_at = time.monotonic() + delay
        log.error(
            "local model worker %r (pid %s) %s; restarting in %.1f s",
            self.spec.name, self.pid, _describe(status), delay,
        )  # fmt: skip
        if ready_at is None:  # it never served: the requests waiting for it were not started
            error: GatewayError = LocalModelUnavailable(
                self._load_failure or "The local model could not start; retry shortly.",
                retry_after_seconds=self._retry_after(),
            )
        else:
            crashed = "The local model stopped while serving this request; retry shortly."
            error = LocalModelCrashed(crashed, retry_after_seconds=self._retry_after())
        self._fail_all(error)
        self._lifecycle = asyncio.get_running_loop().create_task(self._run_worker(delay))

    def _fail_all(self, error: GatewayError) -> None:
        jobs = [self._running, *self._waiting] if self._running else list(self._waiting)
        self._running = None
        self._waiting.clear()
        for job in jobs:
            job.end(error=error)

    def _retry_after(self) -> int:
        return max(1, round(self._restart_at - time.monotonic() + 1))

    async def aclose(self) -> None:
        """Stop the worker: closing its socket makes it exit; it is killed if it does not."""
        self.state = "closed"
        if self._writer is not None:
            self._writer.close()
        lifecycle = self._lifecycle
        if lifecycle is not None and not lifecycle.done():
            try:
                await asyncio.wait_for(asyncio.shield(lifecycle), STOP_GRACE_SECONDS * 2)
            except (TimeoutError, asyncio.CancelledError):
                lifecycle.cancel()
        self._fail_all(LocalModelUnavailable("The local model was stopped.", retry_after_seconds=1))


def _stop(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _failure(message: channel.Failed) -> GatewayError:
    if message.kind == "bad_request":
        return BadRequest(message.message)
    return GatewayError(message.message, code="local_model_error")


def _describe(status: int | None) -> str:
    if status is None:
        return "did not start"
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"
