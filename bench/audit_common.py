"""Shared by the audit benchmarks: a throw-away database and realistic records."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from gateway.audit.record import AuditRecord
from gateway.db.engine import upgrade

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def bench_environ(checkpoint_every: int = 1000) -> dict[str, str]:
    def key(label: str) -> str:
        return base64.b64encode(hashlib.sha256(label.encode()).digest()).decode()

    return {
        "GATEWAY_AUDIT_SIGNING_KEY": key("bench signing"),
        "GATEWAY_AUDIT_MASTER_KEY": key("bench master"),
        "GATEWAY_AUDIT_CHECKPOINT_EVERY": str(checkpoint_every),
        "GATEWAY_AUDIT_CHECKPOINT_SECONDS": "10",
    }


@contextmanager
def bench_database(kind: str, keep: bool = False) -> Iterator[str]:
    """A fresh, migrated database: a new PostgreSQL database (dropped after) or a SQLite file."""
    if kind == "sqlite":
        path = Path("bench/results") / f"audit_{uuid.uuid4().hex[:8]}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
        upgrade(url)
        try:
            yield url
        finally:
            if not keep:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = f"gw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


T0 = datetime(2026, 1, 1, tzinfo=UTC)
TENANTS = ("acme", "globex", "initech", None)


def bench_record(index: int, tag: str = "") -> AuditRecord:
    """A record shaped like the gateway's: findings, checks, and redacted content on half."""
    started = T0 + timedelta(milliseconds=index)
    tenant = TENANTS[index % len(TENANTS)]
    findings = (
        [{"check": "pii", "kind": "PERSON", "action": "pseudonymize", "count": 2}] if index % 3 == 0 else []
    )
    return AuditRecord(
        request_id=f"req_{tag}{index:09d}_{uuid.uuid4().hex[:12]}",
        started_at=started,
        finished_at=started + timedelta(milliseconds=180),
        endpoint="chat",
        status_code=200 if tenant else 401,
        outcome="ok" if tenant else "rejected",
        tenant=tenant,
        key_name="app" if tenant else None,
        key_fingerprint="0123456789ab",
        model_requested="gpt-4o-mini",
        model_served="gpt-4o-mini" if tenant else None,
        location="cloud" if tenant else None,
        route_reasons=["model:cloud"] if tenant else [],
        policy_version="5c1e0d2a9b7f4e31",
        stream=index % 2 == 0,
        prompt_tokens=42,
        completion_tokens=17,
        latency_ms=180.25,
        findings=findings,
        checks=[{"check": "pii", "status": "rewritten" if findings else "passed", "detail": ""}],
        request_content="user: Please summarise the ticket from <PERSON_1> about the invoice."
        if tenant and index % 2
        else None,
        response_content="assistant: <PERSON_1> reports a duplicate charge."
        if tenant and index % 2
        else None,
    )
