"""Read records back: filtered, streamed in chain order (constant memory), content opened on request.

Stored content is ciphertext; `ContentMode` says what a reader gets:
    stored     exactly what the database holds (what the hashes cover; verifiable offline)
    decrypted  the redacted text, or None with `content_erased: true` once the key is destroyed
    none       no content at all (the default for listings)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, select

from gateway.audit.appender import CONTENT_FIELDS
from gateway.audit.crypto import envelope_key_id, open_sealed
from gateway.audit.filters import AuditFilter
from gateway.audit.keyring import Keyring
from gateway.db.models import AuditDataKeyRow, AuditRecordRow

ContentMode = Literal["stored", "decrypted", "none"]
COLUMNS = [column.name for column in AuditRecordRow.__table__.columns]


def readable_keys(connection: Connection, keyring: Keyring) -> dict[str, bytes]:
    """Every data key not yet destroyed (a handful: one per tenant and erasure)."""
    key_ids = connection.execute(
        select(AuditDataKeyRow.key_id).where(AuditDataKeyRow.wrapped_key.is_not(None))
    ).scalars()
    return keyring.readable_keys(connection, key_ids)


def open_content(record: dict[str, Any], mode: ContentMode, keys: dict[str, bytes]) -> dict[str, Any]:
    if mode == "stored":
        return record
    erased = False
    for field in CONTENT_FIELDS:
        value = record.get(field)
        if value is None or mode == "none":
            record[field] = None
            continue
        key_id = envelope_key_id(value)
        if key_id is None:
            continue  # plaintext written before content was sealed (revision 0001)
        key = keys.get(key_id)
        record[field] = None if key is None else open_sealed(key, record["request_id"], field, value)
        erased = erased or key is None
    if mode == "decrypted":
        record["content_erased"] = erased
    return record


def iter_records(
    engine: Engine,
    where: AuditFilter,
    *,
    keyring: Keyring | None = None,
    mode: ContentMode = "none",
    limit: int | None = None,
    newest_first: bool = False,
    before_seq: int | None = None,
    batch_size: int = 2000,
) -> Iterator[dict[str, Any]]:
    table = AuditRecordRow
    query = where.apply(select(*table.__table__.columns), engine.dialect.name)
    if before_seq is not None:
        query = query.where(table.seq < before_seq)
    query = query.order_by(table.seq.desc() if newest_first else table.seq)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        keys = readable_keys(connection, keyring) if keyring is not None and mode == "decrypted" else {}
        result = connection.execution_options(yield_per=batch_size).execute(query).mappings()
        for row in result:
            yield open_content(dict(row), mode, keys)


def count_records(engine: Engine, where: AuditFilter) -> int:
    query = where.apply(select(func.count()).select_from(AuditRecordRow), engine.dialect.name)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
