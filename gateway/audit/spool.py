"""Records the audit store could not take yet, kept on local disk until it can.

Only entries whose request sent nothing anywhere since its egress entry was committed go here:
the single record of a request that never reached a provider (401, 400, a block, a refusal) and
the outcome entry of one whose egress entry is already in the chain. An egress entry is never
spooled: without its commit the data does not leave.

One JSON line per record, flushed and fsynced before the request is answered, so a crash loses
nothing the caller saw. Each writer owns one file (locked with flock while it lives); a file
whose owner died is taken over and replayed by the next writer that finds it. Content fields
are dropped before spooling: the store keeps content only sealed, and sealing needs the store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from gateway.audit.appender import CONTENT_FIELDS

log = logging.getLogger(__name__)

_TIME_FIELDS = ("started_at", "finished_at")
Commit = Callable[[Sequence[dict[str, Any]]], None]


def _encode(row: dict[str, Any]) -> str:
    values = {**row, **dict.fromkeys(CONTENT_FIELDS)}
    for name in _TIME_FIELDS:
        if isinstance(values.get(name), datetime):
            values[name] = values[name].isoformat()
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def _decode(line: str) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(line)
    for name in _TIME_FIELDS:
        if isinstance(row.get(name), str):
            row[name] = datetime.fromisoformat(row[name])
    return row


def _rows(lines: IO[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        try:
            yield _decode(line)
        except ValueError:  # a line cut by a crash mid-write: its request was never answered
            log.warning("skipped a partial line in an audit spool file")


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._path = directory / f"{uuid.uuid4().hex}.jsonl"
        self._file: IO[str] | None = None
        self._backlog: list[dict[str, Any]] = []  # what this writer spooled, not yet replayed

    @property
    def pending(self) -> int:
        return len(self._backlog)

    def keep(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append `rows` durably; raises OSError when the disk cannot take them either."""
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file.write("".join(_encode(row) + "\n" for row in rows))
        self._file.flush()
        os.fsync(self._file.fileno())
        self._backlog.extend(_decode(_encode(row)) for row in rows)

    def replay(self, commit: Commit) -> int:
        """Hand every spooled record to `commit` (which must skip ones already stored); return
        how many were handed over. Raises what `commit` raises, keeping the spool as it was."""
        handed = 0
        for path, rows, lock in self._orphans():
            try:
                commit(rows)
                path.unlink()
                handed += len(rows)
            finally:
                lock.close()
        if self._backlog:
            commit(self._backlog)
            handed += len(self._backlog)
            self._backlog = []
            if self._file is not None:
                self._file.truncate(0)
                self._file.seek(0)
                os.fsync(self._file.fileno())
        return handed

    def _orphans(self) -> Iterator[tuple[Path, list[dict[str, Any]], IO[str]]]:
        """Spool files of writers that are gone (their lock is free)."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.jsonl")):
            if path == self._path:
                continue
            handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the caller
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a live writer's file
                handle.close()
                continue
            yield path, list(_rows(handle)), handle

    def close(self) -> None:
        if self._file is not None:
            empty = not self._backlog
            self._file.close()
            self._file = None
            if empty:
                self._path.unlink(missing_ok=True)
