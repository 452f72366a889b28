"""Walk the chain in order and name the first record whose links, content or checkpoints fail.

What each tampering looks like to the walk:
- an edited field: the record's content no longer matches its content hash (that record);
- a deleted record: the next record's prev_hash links to nothing seen (the record after the gap);
- an inserted record: either its own link fails, or the record after it links to the record
  before it, which names the inserted one;
- reordered records: the first record out of place does not link to its predecessor;
- a truncated tail: a signed checkpoint (or the chain head row) covers more records than remain
  (named: the checkpoint's head record, which is missing);
- a forged checkpoint: its Ed25519 signature fails, or it is signed by an untrusted key;
- history rewritten with every hash recomputed: a signed checkpoint's head no longer matches.

Everything is read through one consistent snapshot, so writers may keep appending meanwhile.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from gateway.audit.chain import GENESIS_HASH, content_hash, link_hash
from gateway.audit.checkpoint import Checkpoint, signature_problem
from gateway.audit.keys import AuditKeys, dev_key_id
from gateway.db.engine import read_snapshot
from gateway.db.models import HEAD_ROW_ID, AuditChainHead, AuditCheckpointRow, AuditRecordRow

MIN_RETENTION_DAYS = 183  # EU AI Act Art. 19/26: logs kept at least six months
_RECENT = 64  # how far back an inserted record can be recognised as such
_PROGRESS_EVERY = 10_000

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Verification:
    records: int  # records walked
    first_bad_request_id: str | None
    problem: str = ""
    purged: int = 0
    checkpoints_matched: int = 0
    started_from: str = "genesis"
    warnings: tuple[str, ...] = ()
    # Records after the newest signed checkpoint: protected by hashes only, so whoever can
    # write the database could cut them (and rewind the head row) unnoticed. Counted from the
    # walk, not from the head row, which such a writer would rewrite too.
    uncovered: int = 0

    @property
    def ok(self) -> bool:
        return self.first_bad_request_id is None and not self.problem


@dataclass(frozen=True, slots=True)
class Failure:
    request_id: str
    problem: str


@dataclass(slots=True)
class ChainWalk:
    """The per-record checks, fed one row at a time in chain order (no I/O: unit-testable)."""

    checkpoints: Mapping[int, Sequence[Checkpoint]]  # by size; signatures already checked
    size: int = 0
    prev: str = GENESIS_HASH
    purged: int = 0
    matched: int = 0
    purge_floor: datetime | None = None  # tombstones younger than this were purged too early
    recent: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=_RECENT))

    def feed(self, row: Mapping[Any, Any], following: Mapping[Any, Any] | None = None) -> Failure | None:
        """Check `row`; `following` (the next row, if any) only helps to name an intruder."""
        request_id = row["request_id"]
        if row["prev_hash"] != self.prev:
            return Failure(*self._broken_link(row, following))
        if row["purged_at"] is None:
            if content_hash(row) != row["content_hash"]:
                return Failure(request_id, "content does not match its content hash (a field was edited)")
        else:
            self.purged += 1
            started = _aware(row["started_at"])
            if self.purge_floor is not None and started > self.purge_floor:
                return Failure(
                    request_id, f"purged before the minimum retention of {MIN_RETENTION_DAYS} days"
                )
        if link_hash(self.prev, request_id, row["started_at"], row["content_hash"]) != row["record_hash"]:
            return Failure(request_id, "record hash does not match (request id, time or hashes edited)")
        self.size += 1
        for checkpoint in self.checkpoints.get(self.size, ()):
            if checkpoint.head_hash != row["record_hash"] or checkpoint.head_request_id != request_id:
                return Failure(
                    request_id,
                    f"does not match signed checkpoint #{checkpoint.id} at size {checkpoint.size}: "
                    "records before it were deleted, inserted or rewritten",
                )
            self.matched += 1
        self.recent.append((row["record_hash"], request_id))
        self.prev = row["record_hash"]
        return None

    def _broken_link(self, row: Mapping[Any, Any], following: Mapping[Any, Any] | None) -> tuple[str, str]:
        seen = list(self.recent)
        for index, (digest, _) in enumerate(seen[:-1]):
            if digest != row["prev_hash"]:
                continue
            # `row` links to an earlier record E, not to its predecessor P. Either `row` is an
            # intruder carrying a stale link (then the next record links to P), or the records
            # between E and `row` were inserted.
            if following is not None and following["prev_hash"] == self.prev:
                return row["request_id"], f"inserted: it links to {seen[index][1]}, not to its predecessor"
            inserted = seen[index + 1][1]
            return inserted, f"inserted: the records after it link past it (to {seen[index][1]})"
        return row["request_id"], (
            "does not link to the record before it: a record before it was deleted, "
            "or records were reordered or rewritten"
        )


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def load_checkpoints(connection: Connection) -> list[Checkpoint]:
    table = AuditCheckpointRow
    rows = connection.execute(
        select(
            table.size,
            table.head_seq,
            table.head_request_id,
            table.head_hash,
            table.created_at,
            table.key_id,
            table.signature,
            table.id,
        ).order_by(table.size, table.id)
    ).all()
    return [Checkpoint(*row[:4], _aware(row[4]), *row[5:]) for row in rows]


def _check_signatures(checkpoints: Iterable[Checkpoint], keys: AuditKeys) -> Failure | None:
    for checkpoint in checkpoints:
        problem = signature_problem(checkpoint, keys)
        if problem is not None:
            where = f"#{checkpoint.id}" if checkpoint.id is not None else "(anchor)"
            return Failure(
                checkpoint.head_request_id, f"checkpoint {where} at size {checkpoint.size}: {problem}"
            )
    return None


def _warnings(checkpoints: Sequence[Checkpoint], head_size: int) -> tuple[str, ...]:
    found = []
    if not checkpoints:
        found.append("no signed checkpoint: a truncated tail or a rewritten history cannot be detected")
    elif checkpoints[-1].size < head_size:
        found.append(
            f"{head_size - checkpoints[-1].size} record(s) after the last checkpoint are protected "
            "by hashes only until the next checkpoint"
        )
    if any(c.key_id == dev_key_id() for c in checkpoints):
        found.append("checkpoints signed with the PUBLIC development key prove nothing")
    return tuple(found)


def verify_chain(
    engine: Engine,
    keys: AuditKeys,
    since: datetime | None = None,
    progress: Progress | None = None,
    anchors: Sequence[Checkpoint] = (),
    now: datetime | None = None,
    batch_size: int = 5000,
) -> Verification:
    with read_snapshot(engine) as connection:
        return _verify(connection, keys, since, progress, anchors, now or datetime.now(UTC), batch_size)


def chain_size(engine: Engine) -> int:
    with engine.connect() as connection:
        size = connection.execute(
            select(AuditChainHead.size).where(AuditChainHead.id == HEAD_ROW_ID)
        ).scalar_one_or_none()
    return int(size or 0)


def _verify(
    connection: Connection,
    keys: AuditKeys,
    since: datetime | None,
    progress: Progress | None,
    anchors: Sequence[Checkpoint],
    now: datetime,
    batch_size: int,
) -> Verification:
    head = connection.execute(
        select(AuditChainHead.size, AuditChainHead.head_request_id).where(AuditChainHead.id == HEAD_ROW_ID)
    ).one_or_none()
    head_size, head_request_id = (int(head[0]), head[1]) if head else (0, None)
    checkpoints = sorted([*load_checkpoints(connection), *anchors], key=lambda c: c.size)
    warnings = _warnings(checkpoints, head_size)
    bad = _check_signatures(checkpoints, keys)
    if bad is not None:
        return Verification(0, bad.request_id, bad.problem, warnings=warnings)

    by_size: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_size.setdefault(checkpoint.size, []).append(checkpoint)
    walk = ChainWalk(by_size, purge_floor=now - timedelta(days=MIN_RETENTION_DAYS))
    records = select(*AuditRecordRow.__table__.columns).order_by(AuditRecordRow.seq)
    started_from = "genesis"
    start = _start_checkpoint(checkpoints, since)
    if start is not None:
        first = (
            connection.execute(
                select(*AuditRecordRow.__table__.columns).where(AuditRecordRow.seq == start.head_seq)
            )
            .mappings()
            .one_or_none()
        )
        if first is None or first["record_hash"] != start.head_hash:
            return Verification(
                0, start.head_request_id, f"checkpoint #{start.id}'s head record is missing or altered"
            )
        # Check the head record itself, then walk on from it.
        walk.prev, walk.size = first["prev_hash"], start.size - 1
        failure = walk.feed(first)
        if failure is not None:
            return Verification(1, failure.request_id, failure.problem, warnings=warnings)
        walk.matched, walk.purged = 0, 0
        records = records.where(AuditRecordRow.seq > start.head_seq)
        started_from = f"checkpoint #{start.id} (record {start.size}, {start.created_at:%Y-%m-%d %H:%M:%S}Z)"
    base = walk.size
    result = connection.execution_options(yield_per=batch_size).execute(records).mappings()
    pending: Mapping[Any, Any] | None = None  # one row of lookahead, to name intruders
    for row in _with_end(result):
        if pending is not None:
            failure = walk.feed(pending, row)
            if failure is not None:
                result.close()
                return Verification(
                    walk.size - base + 1, failure.request_id, failure.problem, warnings=warnings
                )
            if progress is not None and walk.size % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
        pending = row
    walked = walk.size - base

    covered = max((c.size for c in checkpoints), default=0)
    uncovered = max(0, walk.size - covered)

    def finished(request_id: str | None, problem: str = "") -> Verification:
        return Verification(
            walked, request_id, problem, walk.purged, walk.matched, started_from, warnings, uncovered
        )

    longest = checkpoints[-1] if checkpoints else None
    if longest is not None and longest.size > walk.size:
        return finished(
            longest.head_request_id,
            f"missing: signed checkpoint #{longest.id} covers {longest.size} records, "
            f"the chain ends after {walk.size} (tail truncated)",
        )
    if head_size > walk.size:
        return finished(
            head_request_id or "?",
            f"missing: the chain head names {head_size} records, the chain ends after {walk.size} "
            "(tail truncated)",
        )
    if head_size < walk.size:
        return finished(
            walk.recent[-(walk.size - head_size)][1] if walk.size - head_size <= _RECENT else "?",
            f"appended outside the gateway's writer: {walk.size - head_size} record(s) beyond the chain head",
        )
    return finished(None)


def _with_end(rows: Iterable[Mapping[Any, Any]]) -> Iterator[Mapping[Any, Any] | None]:
    yield from rows
    yield None


def _start_checkpoint(checkpoints: Sequence[Checkpoint], since: datetime | None) -> Checkpoint | None:
    """The newest stored checkpoint signed before `since`: trusted, so the walk may start there."""
    if since is None:
        return None
    since = _aware(since)
    candidates = [c for c in checkpoints if c.id is not None and c.created_at <= since]
    return candidates[-1] if candidates else None
