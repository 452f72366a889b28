"""Tables. The schema itself is created and changed only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AuditRecordRow(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tenant: Mapped[str | None] = mapped_column(String(128), index=True)
    key_name: Mapped[str | None] = mapped_column(String(128))
    key_fingerprint: Mapped[str | None] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(String(64))
    model_requested: Mapped[str | None] = mapped_column(String(256))
    model_served: Mapped[str | None] = mapped_column(String(256))
    location: Mapped[str | None] = mapped_column(String(8))
    route_reasons: Mapped[list[str]] = mapped_column(JSON)
    policy_version: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    stream: Mapped[bool] = mapped_column()
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    request_content: Mapped[str | None] = mapped_column(Text)
    response_content: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))
