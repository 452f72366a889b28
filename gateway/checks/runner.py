"""What every check gets for free: off-loop execution, batching, a time budget, fail closed.

- `BatchRunner` runs a detector's `many(jobs)` off the event loop: on a thread (the default) or
  in worker processes (`workers > 0`, `gateway.checks.workers`: each builds the detector once
  from a picklable factory; all of them start with the runner, not on the first request, and
  die with the gateway).
  Requests that arrive while the detector is busy wait and are analysed together in the next
  batch: a vectorised model costs much less per text in a batch than one text at a time.
- Time budget: a run that raises or does not finish in `timeout_seconds` raises
  `CheckUnavailable`, naming the check (or the error the check asks for); only the exception's
  type is logged, never its message.
- A worker process that dies fails its batch and a new one takes its place for the next.
- `fail_closed` is what the input stage does then: the request stays on the local model when
  the tenant's policy allows a local answer, and is refused with 503 otherwise. The audit says
  the check failed. Unscanned text never goes to the cloud.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from gateway.checks.base import CheckOutcome, InputScan
from gateway.checks.workers import DetectorFailed, WorkerPool
from gateway.errors import CheckUnavailable, ServiceUnavailable

if TYPE_CHECKING:
    from gateway.policy.schema import TenantPolicy

log = logging.getLogger(__name__)

JobT = TypeVar("JobT")
ResultT = TypeVar("ResultT")
JobC = TypeVar("JobC", contravariant=True)
ResultC = TypeVar("ResultC")
_MAX_BATCH_JOBS = 32  # requests per batch: enough to vectorise, small enough to stay in budget


class BatchDetector(Protocol[JobC, ResultC]):
    version: str

    def many(self, jobs: Sequence[JobC]) -> list[ResultC]:
        """One result per job, in order (several requests' texts at once)."""
        ...


@dataclass(frozen=True)  # no slots: the class attributes serve as the defaults below
class RunnerSettings:
    workers: int = 0
    timeout_seconds: float = 1.0

    @classmethod
    def from_environ(cls, environ: dict[str, str] | Any, prefix: str) -> Self:
        """`GATEWAY_<PREFIX>_WORKERS` and `GATEWAY_<PREFIX>_TIMEOUT_MS`."""
        return cls(
            workers=int(environ.get(f"GATEWAY_{prefix}_WORKERS", cls.workers)),
            timeout_seconds=int(environ.get(f"GATEWAY_{prefix}_TIMEOUT_MS", cls.timeout_seconds * 1000))
            / 1000,
        )


@dataclass(slots=True)
class _Job(Generic[JobT, ResultT]):
    job: JobT
    future: asyncio.Future[ResultT]


class BatchRunner(Generic[JobT, ResultT]):
    def __init__(
        self,
        check: str,
        factory: Callable[[], BatchDetector[JobT, ResultT]],
        settings: RunnerSettings | None = None,
        unavailable_error: Callable[[str], ServiceUnavailable] | None = None,
    ) -> None:
        """`factory` builds the detector: here (it runs on a thread) or, with workers, in each
        worker process (then it must be picklable: a class or a module-level function).
        `unavailable_error(check)` is what `run` raises when the detector cannot answer
        (default: `CheckUnavailable` naming the check)."""
        self.check = check
        self._settings = settings = settings or RunnerSettings()
        self._unavailable = unavailable_error or unavailable
        self._pending: list[_Job[JobT, ResultT]] = []
        self._busy = 0
        self._slots = max(1, settings.workers)
        self._pool: WorkerPool | None = None
        self._local: BatchDetector[JobT, ResultT] | None = None
        self._thread: ThreadPoolExecutor | None = None
        if settings.workers > 0:
            self._pool = pool = WorkerPool(check, factory, settings.workers)
            self.version = pool.version
        else:
            self._local = local = factory()
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=check)
            self.version = local.version

    async def run(self, job: JobT) -> ResultT:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ResultT] = loop.create_future()
        self._pending.append(_Job(job, future))
        self._dispatch()
        budget = self._settings.timeout_seconds
        try:
            return await asyncio.wait_for(asyncio.shield(future), budget)
        except TimeoutError:
            log.warning("check %s exceeded its %.0f ms budget", self.check, budget * 1000)
        except Exception as exc:  # the detector's own failure: its type only, never its message
            kind = exc.kind if isinstance(exc, DetectorFailed) else type(exc).__name__
            log.warning("check %s failed: %s", self.check, kind)
        raise self._unavailable(self.check)

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending and self._busy < self._slots:
            batch, self._pending = self._pending[:_MAX_BATCH_JOBS], self._pending[_MAX_BATCH_JOBS:]
            jobs = [entry.job for entry in batch]
            if self._pool is not None:
                done: asyncio.Future[Any] = self._pool.submit(jobs)
            else:
                assert self._local is not None
                done = loop.run_in_executor(self._thread, self._local.many, jobs)
            self._busy += 1
            done.add_done_callback(functools.partial(self._settle, batch=batch))

    def _settle(self, finished: asyncio.Future[Any], *, batch: list[_Job[JobT, ResultT]]) -> None:
        self._busy -= 1
        error = None if finished.cancelled() else finished.exception()
        for index, entry in enumerate(batch):
            if entry.future.done():
                continue
            if finished.cancelled():
                entry.future.cancel()
            elif error is not None:
                entry.future.set_exception(error)
            else:
                entry.future.set_result(finished.result()[index])
        self._dispatch()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)


def unavailable(check: str) -> CheckUnavailable:
    return CheckUnavailable(
        f"The {check} check is unavailable; the request was not sent.", param=check, retry_after_seconds=2
    )


def keeps_local_on_failure(policy: TenantPolicy) -> bool:
    """Whether a request whose check could not run may still be answered, by the local model."""
    return policy.routing.fallback == "local" or policy.routing.residency == "local"


def fail_closed(policy: TenantPolicy, scan: InputScan, outcome: CheckOutcome) -> InputScan:
    """A check could not run: keep the request local if the policy allows, else refuse it."""
    failed = replace(outcome, status="failed")
    if not keeps_local_on_failure(policy):
        error = unavailable(outcome.check)
        error.outcomes = (replace(failed, detail="could not run; request refused"),)
        raise error
    failed = replace(failed, detail="could not run; kept on the local model")
    return replace(
        scan,
        outcomes=(*scan.outcomes, failed),
        must_stay_local=(*scan.must_stay_local, f"{outcome.check}:unavailable"),
    )
