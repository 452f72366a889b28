"""Append records to the chain inside one transaction, and sign checkpoints.

Concurrency: every writer, in any process on any host, seals and hashes its batch's content,
then locks the single row of `audit_chain_head` (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the
database write lock taken by BEGIN IMMEDIATE). Holding it, a writer reads the head, assigns the
next `seq` values, links its batch (one SHA-256 per record) and moves the head. Writers therefore
take turns per *batch*, not per record: a batch of hundreds of records costs one lock, one
multi-row INSERT and one commit.
A row lock rather than an advisory lock: it works the same on both databases, and the row it
locks is the very state (size, head hash) that the next batch must read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gateway.audit.chain import content_hash, link_hash
from gateway.audit.checkpoint import Checkpoint, sign_checkpoint
from gateway.audit.crypto import seal
from gateway.audit.keyring import DataKey, Keyring
from gateway.audit.keys import AuditKeys
from gateway.db.models import HEAD_ROW_ID, AuditChainHead, AuditCheckpointRow, AuditRecordRow
from gateway.errors import GatewayError

CONTENT_FIELDS = ("request_content", "response_content")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(slots=True)
class ChainHead:
    size: int
    head_seq: int
    head_request_id: str | None
    head_hash: str
    checkpoint_size: int
    checkpoint_at: datetime | None


def lock_head(connection: Connection) -> ChainHead:
    table = AuditChainHead
    row = connection.execute(
        select(
            table.size,
            table.head_seq,
            table.head_request_id,
            table.head_hash,
            table.checkpoint_size,
            table.checkpoint_at,
        )
        .where(table.id == HEAD_ROW_ID)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise GatewayError("The audit chain head is missing: run `gateway db upgrade`.")
    return ChainHead(*row)


def _seal_row(row: Mapping[str, Any], data_keys: Mapping[str, DataKey]) -> dict[str, Any]:
    sealed = dict(row)
    for field in CONTENT_FIELDS:
        text = sealed.get(field)
        if text is None:
            continue
        key_id, key = data_keys[sealed["tenant"]]
        sealed[field] = seal(key, key_id, sealed["request_id"], field, text)
    return sealed


def append(
    connection: Connection,
    rows: Sequence[Mapping[str, Any]],
    keys: AuditKeys,
    keyring: Keyring,
    now: datetime | None = None,
) -> Checkpoint | None:
    """Seal, link and insert `rows` (AuditRecord.as_row() dicts) at the head of the chain.
    Signs a checkpoint when one is due. The caller owns the transaction."""
    now = now or datetime.now(UTC)
    # Content without a tenant has no key to be sealed with: it is never stored.
    rows = [row if row.get("tenant") else {**row, **dict.fromkeys(CONTENT_FIELDS)} for row in rows]
    tenants = {row["tenant"] for row in rows if any(row.get(f) is not None for f in CONTENT_FIELDS)}
    # Sealing and content hashes do not depend on the chain's position: done before the lock,
    # so that other writers wait only for the links, the INSERT and the commit. (Two writers may
    # then each create a first key for a new tenant: harmless, both keys work and both are
    # destroyed by `forget`.)
    data_keys = keyring.active_keys(connection, tenants, now)
    sealed_rows = [_seal_row(row, data_keys) for row in rows]
    digests = [content_hash(sealed) for sealed in sealed_rows]

    head = lock_head(connection)
    prev, seq = head.head_hash, head.head_seq
    linked = []
    for sealed, digest in zip(sealed_rows, digests, strict=True):
        seq += 1
        record = link_hash(prev, sealed["request_id"], sealed["started_at"], digest)
        linked.append(
            {**sealed, "seq": seq, "content_hash": digest, "prev_hash": prev, "record_hash": record}
        )
        prev = record
    connection.execute(insert(AuditRecordRow), linked)
    head.size, head.head_seq, head.head_hash = head.size + len(linked), seq, prev
    head.head_request_id = linked[-1]["request_id"] if linked else head.head_request_id
    checkpoint = _sign(connection, head, keys, now) if _checkpoint_due(head, keys, now) else None
    _store_head(connection, head)
    return checkpoint


def _checkpoint_due(head: ChainHead, keys: AuditKeys, now: datetime) -> bool:
    if head.size - head.checkpoint_size >= keys.checkpoint_every:
        return True
    last = _aware(head.checkpoint_at)
    return head.size > head.checkpoint_size and (
        last is None or (now - last).total_seconds() >= keys.checkpoint_seconds
    )


def checkpoint_now(connection: Connection, keys: AuditKeys, now: datetime | None = None) -> Checkpoint | None:
    """Sign the current head if records were added since the last checkpoint."""
    head = lock_head(connection)
    if head.size <= head.checkpoint_size:
        return None
    checkpoint = _sign(connection, head, keys, now or datetime.now(UTC))
    _store_head(connection, head)
    return checkpoint


def _sign(connection: Connection, head: ChainHead, keys: AuditKeys, now: datetime) -> Checkpoint:
    checkpoint = sign_checkpoint(
        keys.signing_key, head.size, head.head_seq, head.head_request_id or "", head.head_hash, now
    )
    values = checkpoint.as_json()
    values["created_at"] = now
    connection.execute(insert(AuditCheckpointRow).values(**values))
    head.checkpoint_size, head.checkpoint_at = head.size, now
    return checkpoint


def _store_head(connection: Connection, head: ChainHead) -> None:
    connection.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ROW_ID)
        .values(
            size=head.size,
            head_seq=head.head_seq,
            head_request_id=head.head_request_id,
            head_hash=head.head_hash,
            checkpoint_size=head.checkpoint_size,
            checkpoint_at=head.checkpoint_at,
        )
    )
