"""Batched audit writes on one thread: requests await their own record's commit.

A request's `write()` returns only once its record is committed, so a response never completes
without its record (a crash loses no acknowledged request). Records queue up while the previous
batch commits; the next batch takes them all (up to MAX_BATCH), so under load N commits become
one and the event loop never blocks on the database. Chaining, sealing and checkpoints happen in
`appender.append`, inside the batch's transaction.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

from sqlalchemy import Engine

from gateway.audit.appender import append, checkpoint_now
from gateway.audit.keyring import Keyring
from gateway.audit.keys import AuditKeys
from gateway.audit.record import AuditRecord
from gateway.db.engine import make_engine
from gateway.errors import ServiceUnavailable
from gateway.settings import Settings

log = logging.getLogger(__name__)

MAX_BATCH = 512
_STOP = object()

Pending = tuple[dict[str, Any], asyncio.Future[None], asyncio.AbstractEventLoop]


class AuditWriter:
    def __init__(self, engine: Engine, keys: AuditKeys | None = None) -> None:
        self.engine = engine
        self.keys = keys or AuditKeys.from_environ({})
        self._keyring = Keyring(self.keys.master_key, self.keys.master_key_id)
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._started = False
        self._unsigned = False  # this writer appended records since its last checkpoint attempt

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditWriter:
        return cls(make_engine(settings.database_url), AuditKeys.from_environ(settings.environ))

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    async def write(self, record: AuditRecord) -> None:
        """Return once the record is committed; raise ServiceUnavailable if it cannot be."""
        self.start()
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._queue.put((record.as_row(), committed, loop))
        await asyncio.shield(committed)  # a disconnecting client must not cancel its record

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._started = False
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.keys.checkpoint_seconds)
            except queue.Empty:
                if self._unsigned:
                    self._checkpoint()  # idle: sign what the last batches added
                continue
            if first is _STOP:
                self._checkpoint()
                return
            batch: list[Pending] = [first]  # type: ignore[list-item]
            stopping = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._commit(batch)
            if stopping:
                self._checkpoint()
                return

    def _commit(self, batch: list[Pending]) -> None:
        error = self._append(batch)
        if error is not None and len(batch) > 1:
            # One bad record must not fail its neighbours: retry each on its own.
            for item in batch:
                self._commit([item])
            return
        for _, future, loop in batch:
            loop.call_soon_threadsafe(_settle, future, error)

    def _append(self, batch: list[Pending]) -> BaseException | None:
        try:
            with self.engine.begin() as connection:
                append(connection, [row for row, _, _ in batch], self.keys, self._keyring)
        except Exception as exc:  # reported to every waiting request, which fails closed
            log.error("audit batch of %d failed: %s", len(batch), type(exc).__name__)
            return exc
        self._unsigned = True
        return None

    def _checkpoint(self) -> None:
        try:
            with self.engine.begin() as connection:
                checkpoint_now(connection, self.keys)
            self._unsigned = False
        except Exception as exc:  # the next batch or idle period tries again
            log.error("audit checkpoint failed: %s", type(exc).__name__)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(ServiceUnavailable("The audit log is unavailable.", code="audit_unavailable"))
