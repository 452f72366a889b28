"""Batched audit writes on one thread: requests await their own entry's commit.

`write_egress()` returns only once the egress entry is committed, and raises 503 otherwise: the
pipeline sends nothing to a provider before that. `write()` (a request's last entry) returns
once the entry is committed or, when the store cannot take it, durably spooled to local disk
(see spool.py) and retried until the store takes it; so a response never completes without its
record, and a crash loses no acknowledged request. Entries queue up while the previous batch
commits; the next batch takes them all (up to MAX_BATCH), so under load N commits become one
and the event loop never blocks on the database. Chaining, sealing and checkpoints happen in
`appender.append`, inside the batch's transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import OperationalError

from gateway.audit.appender import append, checkpoint_now
from gateway.audit.keyring import Keyring
from gateway.audit.keys import AuditKeys
from gateway.audit.record import AuditRecord
from gateway.audit.spool import Spool
from gateway.db.engine import make_engine
from gateway.db.models import HEAD_ROW_ID, AuditChainHead, AuditRecordRow
from gateway.errors import ServiceUnavailable
from gateway.settings import Settings

log = logging.getLogger(__name__)

MAX_BATCH = 512
RETRY_SECONDS = 1.0  # how often spooled records are offered to the store again
RETRY_AFTER_SECONDS = 5  # what a refused caller is told
_STOP = object()

Pending = tuple[dict[str, Any], asyncio.Future[None], asyncio.AbstractEventLoop]


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The audit log is unavailable.", code="audit_unavailable", retry_after_seconds=RETRY_AFTER_SECONDS
    )


class AuditWriter:
    def __init__(self, engine: Engine, keys: AuditKeys | None = None, spool_dir: Path | None = None) -> None:
        self.engine = engine
        self.keys = keys or AuditKeys.from_environ({})
        self._keyring = Keyring(self.keys.master_key, self.keys.master_key_id)
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._started = False
        self._unsigned = False  # this writer appended records since its last checkpoint attempt
        self._spool = Spool(spool_dir) if spool_dir is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditWriter:
        engine = make_engine(settings.database_url, settings.audit_write_timeout_seconds)
        # One spool folder per database, so records are only ever replayed where they belong.
        store = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
        return cls(engine, AuditKeys.from_environ(settings.environ), settings.audit_spool_dir / store)

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    async def write(self, record: AuditRecord) -> None:
        """A request's last entry: return once it is committed, or spooled to disk when the
        store cannot take it now; raise ServiceUnavailable only if neither can."""
        await self._enqueue(record)

    async def write_egress(self, record: AuditRecord) -> None:
        """An egress entry: return once it is committed; raise ServiceUnavailable (503 with
        Retry-After) if it cannot be. Never spooled: nothing may leave before its commit."""
        assert record.phase == "egress"
        await self._enqueue(record)

    async def _enqueue(self, record: AuditRecord) -> None:
        self.start()
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._queue.put((record.as_row(), committed, loop))
        await asyncio.shield(committed)  # a disconnecting client must not cancel its record

    def can_write(self) -> bool:
        """Whether the store takes writes now: take the chain head's write lock and write it
        back unchanged, then roll back (waits at most the write timeout). For /readyz."""
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                connection.execute(
                    update(AuditChainHead)
                    .where(AuditChainHead.id == HEAD_ROW_ID)
                    .values(size=AuditChainHead.size)
                )
                transaction.rollback()
        except Exception as exc:  # any failure means "cannot write"; the type says why
            log.warning("audit store does not take writes: %s", type(exc).__name__)
            return False
        return True

    @property
    def spooled(self) -> int:
        """Records waiting on local disk for the store to take them."""
        return self._spool.pending if self._spool is not None else 0

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._started = False
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)

    def _run(self) -> None:
        self._replay()  # what a writer that died left behind
        while True:
            waiting = RETRY_SECONDS if self.spooled else self.keys.checkpoint_seconds
            try:
                first = self._queue.get(timeout=waiting)
            except queue.Empty:
                self._replay()
                if self._unsigned:
                    self._checkpoint()  # idle: sign what the last batches added
                continue
            if first is _STOP:
                self._stop()
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
                self._stop()
                return

    def _stop(self) -> None:
        self._replay()
        self._checkpoint()
        if self._spool is not None:
            self._spool.close()

    def _commit(self, batch: list[Pending]) -> None:
        error = self._append([row for row, _, _ in batch])
        if error is not None and len(batch) > 1 and not isinstance(error, OperationalError):
            # One bad record must not fail its neighbours: retry each on its own. (Not when
            # the store itself is down or locked: each retry would wait the timeout again.)
            for item in batch:
                self._commit([item])
            return
        if error is not None:
            error = self._keep([row for row, _, _ in batch if row["phase"] != "egress"])
            for row, future, loop in batch:  # egress entries fail: nothing leaves unrecorded
                failed = error is not None or row["phase"] == "egress"
                loop.call_soon_threadsafe(_settle, future, failed)
            return
        for _, future, loop in batch:
            loop.call_soon_threadsafe(_settle, future, False)

    def _append(self, rows: Sequence[dict[str, Any]], replayed: bool = False) -> BaseException | None:
        if not rows:
            return None
        try:
            with self.engine.begin() as connection:
                if replayed:
                    rows = _not_stored(connection, rows)
                if rows:
                    append(connection, rows, self.keys, self._keyring)
        except Exception as exc:  # reported to every waiting request, which fails closed
            log.error("audit batch of %d failed: %s", len(rows), type(exc).__name__)
            return exc
        self._unsigned = True
        return None

    def _keep(self, rows: list[dict[str, Any]]) -> BaseException | None:
        """Spool last entries the store refused; None once they are safe on disk."""
        if not rows:
            return None
        if self._spool is None:
            return RuntimeError("no audit spool configured")
        try:
            self._spool.keep(rows)
        except OSError as exc:
            log.error("audit spool failed too: %s", type(exc).__name__)
            return exc
        log.warning("audit store unavailable: %d record(s) spooled to disk", len(rows))
        return None

    def _replay(self) -> None:
        if self._spool is None:
            return

        def commit(rows: Sequence[dict[str, Any]]) -> None:
            for start in range(0, len(rows), MAX_BATCH):
                error = self._append(rows[start : start + MAX_BATCH], replayed=True)
                if error is not None:
                    raise error

        try:
            handed = self._spool.replay(commit)
        except Exception:  # still unavailable: the next idle period tries again
            return
        if handed:
            log.warning("audit store back: %d spooled record(s) committed", handed)

    def _checkpoint(self) -> None:
        try:
            with self.engine.begin() as connection:
                checkpoint_now(connection, self.keys)
            self._unsigned = False
        except Exception as exc:  # the next batch or idle period tries again
            log.error("audit checkpoint failed: %s", type(exc).__name__)


def _not_stored(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replayed rows minus those already in the chain (a crash after commit, before the spool
    file was cleared)."""
    table = AuditRecordRow
    ids = list({row["request_id"] for row in rows})
    stored: set[tuple[str, str | None]] = set()
    for start in range(0, len(ids), 500):
        query = select(table.request_id, table.phase).where(table.request_id.in_(ids[start : start + 500]))
        stored.update((request_id, phase) for request_id, phase in connection.execute(query))
    return [row for row in rows if (row["request_id"], row["phase"]) not in stored]


def _settle(future: asyncio.Future[None], failed: bool) -> None:
    if future.done():
        return
    if failed:
        future.set_exception(unavailable())
    else:
        future.set_result(None)
