"""Erasure by crypto-shredding: destroy a tenant's data keys, so its stored content (ciphertext,
kept in place because the chain hashes it) can never be opened again.

After the key rows are cleared, the database is asked to drop the old row versions too
(PostgreSQL VACUUM, SQLite secure_delete + WAL checkpoint). Copies outside this database
(backups, replicas' WAL archives, a master key holder's memory) are out of its reach: see
docs/AUDIT.md for what this does and does not mean legally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, or_, select, text

from gateway.audit.keyring import destroy_tenant_keys
from gateway.db.models import AuditRecordRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Forgotten:
    tenant: str
    keys_destroyed: int
    records_unreadable: int  # records of the tenant whose stored content is now unreadable


def forget_tenant(engine: Engine, tenant: str, now: datetime) -> Forgotten:
    table = AuditRecordRow
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA secure_delete=ON")  # overwrite freed pages
        destroyed = destroy_tenant_keys(connection, tenant, now)
        records = connection.execute(
            select(func.count())
            .select_from(table)
            .where(
                table.tenant == tenant,
                or_(table.request_content.is_not(None), table.response_content.is_not(None)),
            )
        ).scalar_one()
    _drop_old_versions(engine, sqlite)
    return Forgotten(tenant, destroyed, int(records))


def _drop_old_versions(engine: Engine, sqlite: bool) -> None:
    try:
        if sqlite:  # the driver connection is in autocommit mode (see gateway/db/engine.py)
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM audit_data_keys"))
    except Exception as exc:  # best effort: the keys are already gone from the live table
        log.warning("could not compact audit_data_keys after erasure: %s", type(exc).__name__)
