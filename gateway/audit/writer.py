"""Batched audit writes on one thread: requests await their own record's commit.

Each batch is one transaction that takes the database's write lock (PostgreSQL: an advisory
transaction lock; SQLite: BEGIN IMMEDIATE), reads the chain's head and appends, so several
gateway processes writing to one database still build a single valid chain. Batching keeps
the event loop free and turns N commits into one under load.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

from sqlalchemy import Engine, insert, select, text

from gateway.audit.chain import GENESIS_HASH, record_hash
from gateway.audit.record import AuditRecord
from gateway.db.models import AuditRecordRow
from gateway.errors import ServiceUnavailable

log = logging.getLogger(__name__)

CHAIN_LOCK_ID = 0x6761_7465  # arbitrary, fixed: every writer takes the same advisory lock
MAX_BATCH = 256
_STOP = object()

Pending = tuple[dict[str, Any], asyncio.Future[None], asyncio.AbstractEventLoop]


class AuditWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._started = False

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

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
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
                return

    def _commit(self, batch: list[Pending]) -> None:
        error: BaseException | None = None
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CHAIN_LOCK_ID})
                head = connection.execute(
                    select(AuditRecordRow.record_hash).order_by(AuditRecordRow.seq.desc()).limit(1)
                ).scalar()
                prev = head or GENESIS_HASH
                rows = []
                for row, _, _ in batch:
                    current = record_hash(prev, row)
                    rows.append({**row, "prev_hash": prev, "record_hash": current})
                    prev = current
                connection.execute(insert(AuditRecordRow), rows)
        except Exception as exc:  # reported to every waiting request, which fails closed
            log.error("audit batch of %d failed: %s", len(batch), type(exc).__name__)
            error = exc
        for _, future, loop in batch:
            loop.call_soon_threadsafe(_settle, future, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(ServiceUnavailable("The audit log is unavailable.", code="audit_unavailable"))
