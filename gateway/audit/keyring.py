"""Per-tenant data keys in `audit_data_keys`: create, look up, and destroy (crypto-shredding).

Keys are fetched from the table for every batch rather than cached for the process's life, so
a key destroyed by `gateway audit forget` in another process stops being used at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from gateway.audit.crypto import new_data_key, new_key_id, unwrap_data_key, wrap_data_key
from gateway.db.models import AuditDataKeyRow

DataKey = tuple[str, bytes]  # (key_id, raw key)


class Keyring:
    def __init__(self, master_key: bytes, master_key_id: str) -> None:
        self._master_key = master_key
        self._master_key_id = master_key_id
        self._unwrapped: dict[str, bytes] = {}  # only keys seen alive in the last lookup

    def _unwrap(self, key_id: str, tenant: str, wrapped: str) -> bytes:
        key = self._unwrapped.get(key_id)
        if key is None:
            key = unwrap_data_key(self._master_key, key_id, tenant, wrapped)
        return key

    def active_keys(
        self, connection: Connection, tenants: Collection[str], now: datetime
    ) -> dict[str, DataKey]:
        """The current key of each tenant (the newest alive), created when a tenant has none."""
        if not tenants:
            return {}
        table = AuditDataKeyRow
        rows = connection.execute(
            select(table.key_id, table.tenant, table.wrapped_key)
            .where(table.tenant.in_(sorted(tenants)), table.wrapped_key.is_not(None))
            .order_by(table.created_at)
        ).all()
        found: dict[str, DataKey] = {}
        for key_id, tenant, wrapped in rows:  # ordered by age: the newest wins
            found[tenant] = (key_id, self._unwrap(key_id, tenant, str(wrapped)))
        for tenant in sorted(set(tenants) - found.keys()):
            key_id, key = new_key_id(), new_data_key()
            connection.execute(
                insert(table).values(
                    key_id=key_id,
                    tenant=tenant,
                    wrapped_key=wrap_data_key(self._master_key, key_id, tenant, key),
                    master_key_id=self._master_key_id,
                    created_at=now,
                )
            )
            found[tenant] = (key_id, key)
        self._unwrapped = {key_id: key for key_id, key in found.values()}
        return found

    def readable_keys(self, connection: Connection, key_ids: Iterable[str]) -> dict[str, bytes]:
        """The keys among `key_ids` that still exist; destroyed ones are simply absent."""
        wanted = sorted(set(key_ids))
        if not wanted:
            return {}
        table = AuditDataKeyRow
        rows = connection.execute(
            select(table.key_id, table.tenant, table.wrapped_key).where(
                table.key_id.in_(wanted), table.wrapped_key.is_not(None)
            )
        ).all()
        return {
            key_id: unwrap_data_key(self._master_key, key_id, tenant, str(wrapped))
            for key_id, tenant, wrapped in rows
        }


def destroy_tenant_keys(connection: Connection, tenant: str, now: datetime) -> int:
    """Crypto-shred: drop the wrapped key material of every key of `tenant`; keep the rows as
    the trace of when it happened. Returns how many keys were destroyed."""
    table = AuditDataKeyRow
    result = connection.execute(
        update(table)
        .where(table.tenant == tenant, table.wrapped_key.is_not(None))
        .values(wrapped_key=None, destroyed_at=now)
    )
    return int(result.rowcount or 0)
