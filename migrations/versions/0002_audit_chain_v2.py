"""audit chain v2: content hashes, tombstones, chain head, signed checkpoints, tenant data keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Upgrade re-seals existing records into chain format v2 (see gateway/audit/chain.py), but only
after checking every one of them against the v1 chain: a broken v1 chain stops the upgrade with
the request id of the first bad record, so tampering is never laundered into a fresh chain.
Downgrade does the reverse; it refuses when purged records exist (v1 cannot represent them) and
drops sealed content, whose keys leave with the `audit_data_keys` table.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.audit.chain import GENESIS_HASH, content_hash, link_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

V1_COLUMNS = (
    "seq", "request_id", "started_at", "finished_at", "tenant", "key_name", "key_fingerprint",
    "endpoint", "model_requested", "model_served", "location", "route_reasons", "policy_version",
    "status_code", "outcome", "error_code", "stream", "prompt_tokens", "completion_tokens",
    "latency_ms", "findings", "checks", "request_content", "response_content", "prev_hash",
    "record_hash",
)  # fmt: skip
NOW_NULLABLE = {
    "finished_at": sa.DateTime(timezone=True),
    "endpoint": sa.String(64),
    "route_reasons": sa.JSON(),
    "status_code": sa.Integer(),
    "outcome": sa.String(32),
    "stream": sa.Boolean(),
    "prompt_tokens": sa.Integer(),
    "completion_tokens": sa.Integer(),
    "latency_ms": sa.Float(),
    "findings": sa.JSON(),
    "checks": sa.JSON(),
}


# --- chain format v1, frozen here as revision 0001 wrote it ------------------------------------


def _v1_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, float):
        return repr(round(value, 3))
    return value


def _v1_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    content = {k: _v1_value(v) for k, v in row.items() if k not in ("seq", "prev_hash", "record_hash")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical).hexdigest()


def _records(
    connection: sa.Connection, table: sa.Table, columns: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    query = sa.select(*(table.c[name] for name in columns)).order_by(table.c.seq)
    for row in connection.execute(query).mappings():
        yield dict(row)


def _table(*extra: str) -> sa.Table:
    json_columns = {"route_reasons", "findings", "checks"}
    columns = [sa.Column(name, sa.JSON() if name in json_columns else sa.String()) for name in V1_COLUMNS]
    columns += [sa.Column(name, sa.String()) for name in extra]
    table = sa.Table("audit_records", sa.MetaData(), *columns)
    # Typed where the hash depends on the Python type read back.
    for name, kind in (
        ("seq", sa.BigInteger()),
        ("started_at", sa.DateTime(timezone=True)),
        ("finished_at", sa.DateTime(timezone=True)),
        ("status_code", sa.Integer()),
        ("stream", sa.Boolean()),
        ("prompt_tokens", sa.Integer()),
        ("completion_tokens", sa.Integer()),
        ("latency_ms", sa.Float()),
    ):
        table.c[name].type = kind
    if "purged_at" in extra:
        table.c.purged_at.type = sa.DateTime(timezone=True)
    return table


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        for name, kind in NOW_NULLABLE.items():
            batch.alter_column(name, existing_type=kind, nullable=True)
    op.create_index("ix_audit_records_tenant_started_at", "audit_records", ["tenant", "started_at"])

    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_request_id", sa.String(64), nullable=True),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_request_id", sa.String(64), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_checkpoints_size", "audit_checkpoints", ["size"])
    op.create_table(
        "audit_data_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=True),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_audit_data_keys_tenant", "audit_data_keys", ["tenant"])

    connection = op.get_bind()
    table = _table("content_hash")
    prev_v1 = prev_v2 = GENESIS_HASH
    size, head_seq, head_request_id = 0, 0, None
    for row in list(_records(connection, table, V1_COLUMNS)):
        if row["prev_hash"] != prev_v1 or _v1_hash(prev_v1, row) != row["record_hash"]:
            raise RuntimeError(
                f"audit chain v1 is broken at record {row['request_id']}: refusing to re-seal it. "
                "Investigate with `gateway audit verify` at revision 0001."
            )
        prev_v1 = row["record_hash"]
        fields = {k: v for k, v in row.items() if k not in ("seq", "prev_hash", "record_hash")}
        digest = content_hash(fields)
        record = link_hash(prev_v2, row["request_id"], row["started_at"], digest)
        connection.execute(
            table.update()
            .where(table.c.seq == row["seq"])
            .values(content_hash=digest, prev_hash=prev_v2, record_hash=record)
        )
        prev_v2, size, head_seq, head_request_id = record, size + 1, row["seq"], row["request_id"]
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "size": size,
                "head_seq": head_seq,
                "head_request_id": head_request_id,
                "head_hash": prev_v2,
                "checkpoint_size": 0,
                "checkpoint_at": None,
            }
        ],
    )
    with op.batch_alter_table("audit_records") as batch:
        batch.alter_column("content_hash", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    connection = op.get_bind()
    table = _table("content_hash", "purged_at")
    purged = connection.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.purged_at.is_not(None))
    ).scalar_one()
    if purged:
        raise RuntimeError(f"{purged} purged audit record(s) cannot be represented at revision 0001.")
    prev = GENESIS_HASH
    for row in list(_records(connection, table, V1_COLUMNS)):
        for name in ("request_content", "response_content"):
            if isinstance(row[name], str) and row[name].startswith("gwenc1:"):
                row[name] = None  # its key leaves with audit_data_keys below
        record = _v1_hash(prev, row)
        connection.execute(
            table.update()
            .where(table.c.seq == row["seq"])
            .values(
                request_content=row["request_content"],
                response_content=row["response_content"],
                prev_hash=prev,
                record_hash=record,
            )
        )
        prev = record

    op.drop_index("ix_audit_data_keys_tenant", table_name="audit_data_keys")
    op.drop_table("audit_data_keys")
    op.drop_index("ix_audit_checkpoints_size", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_records_tenant_started_at", table_name="audit_records")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("purged_at")
        batch.drop_column("content_hash")
        for name, kind in NOW_NULLABLE.items():
            batch.alter_column(name, existing_type=kind, nullable=False)
