"""Tables. The schema itself is created and changed only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AuditRecordRow(Base):
    """One request. A purged record keeps only its chain columns, request id and start time
    (a tombstone: `purged_at` set, every other field NULL), so the chain still verifies."""

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_tenant_started_at", "tenant", "started_at"),)

    # Assigned by the writer under the chain lock: contiguous, in chain order.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    # Not unique: a request that reached a provider has an egress entry and an outcome entry.
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tenant: Mapped[str | None] = mapped_column(String(128), index=True)
    key_name: Mapped[str | None] = mapped_column(String(128))
    key_fingerprint: Mapped[str | None] = mapped_column(String(16))
    endpoint: Mapped[str | None] = mapped_column(String(64))
    model_requested: Mapped[str | None] = mapped_column(String(256))
    model_served: Mapped[str | None] = mapped_column(String(256))
    location: Mapped[str | None] = mapped_column(String(8))
    route_reasons: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    stream: Mapped[bool | None] = mapped_column()
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    request_content: Mapped[str | None] = mapped_column(Text)  # sealed: see gateway/audit/crypto.py
    response_content: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # egress | outcome | record (NULL before revision 0003: a single entry): see docs/AUDIT.md
    phase: Mapped[str | None] = mapped_column(String(16))
    destinations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))


class AuditChainHead(Base):
    """The chain's single head row. Writers lock it (SELECT ... FOR UPDATE) to append: the lock
    that keeps one chain across many processes. Not trusted by verification."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_request_id: Mapped[str | None] = mapped_column(String(64))
    head_hash: Mapped[str] = mapped_column(String(64))
    checkpoint_size: Mapped[int] = mapped_column(BigInteger)
    checkpoint_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_request_id: Mapped[str] = mapped_column(String(64))
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))


class AuditDataKeyRow(Base):
    """Per-tenant content keys, wrapped by the master key. `gateway audit forget` NULLs
    `wrapped_key` (crypto-shredding) and keeps the row as the record that it did."""

    __tablename__ = "audit_data_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    wrapped_key: Mapped[str | None] = mapped_column(Text)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BiasAuditRunRow(Base):
    """One `gateway bias audit` run: which model, which suite, and the measured cells (rates and
    intervals per axis and kind; no prompts or answers)."""

    __tablename__ = "bias_audit_runs"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    model: Mapped[str] = mapped_column(String(256))
    suite: Mapped[str] = mapped_column(String(32))
    suite_version: Mapped[str] = mapped_column(String(32))
    calls: Mapped[int] = mapped_column(Integer)
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


HEAD_ROW_ID = 1
