"""Retention (purge to tombstones) and erasure (crypto-shredding), on SQLite and PostgreSQL:
in both cases the chain must still verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select, text

from gateway.db.engine import make_engine, upgrade
from gateway.db.models import AuditDataKeyRow, AuditRecordRow
from tests.integration.audit_support import cli, record, use_audit_env, write
from tests.policy_files import write_policies

NOW = datetime.now(UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    upgrade(database_url)
    use_audit_env(monkeypatch)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    policies = write_policies(tmp_path / "policies", "http://127.0.0.1:1")
    for tenant, days in {"demo": 400, "onprem": 200, "strict": 30}.items():
        path = policies / "tenants" / f"{tenant}.yaml"
        document = yaml.safe_load(path.read_text())
        document["audit"] = {**document.get("audit", {}), "retention_days": days}
        path.write_text(yaml.safe_dump(document))
    monkeypatch.setenv("GATEWAY_POLICIES_DIR", str(policies))
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def verify() -> tuple[int, str]:
    result = cli("audit", "verify", "--no-progress")
    return result.code, result.out


def rows(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as connection:
        found = connection.execute(select(*AuditRecordRow.__table__.columns)).mappings()
        return {row["request_id"]: dict(row) for row in found}


def test_purge_tombstones_expired_records_per_tenant_and_the_chain_still_verifies(engine: Engine) -> None:
    log = {
        "demo_old": record(0, started_at=days_ago(500), request_content="user: <PERSON_1>"),
        "demo_kept": record(1, started_at=days_ago(300)),
        "onprem_old": record(2, started_at=days_ago(250), tenant="onprem"),
        "onprem_kept": record(3, started_at=days_ago(100), tenant="onprem"),
        "strict_floored": record(4, started_at=days_ago(100), tenant="strict"),  # 30 days asked: 183 kept
        "strict_old": record(5, started_at=days_ago(190), tenant="strict"),
        "nobody_old": record(6, started_at=days_ago(450), tenant=None),
        "recent": record(7, started_at=days_ago(1)),
    }
    write(engine, list(log.values()))

    dry = cli("audit", "purge", "--dry-run")
    assert dry.code == 0 and "would purge 4 record(s)" in dry.out
    result = cli("audit", "purge")
    assert result.code == 0 and "purged 4 record(s)" in result.out
    assert "strict: retention below the legal minimum" in result.err

    stored = rows(engine)
    purged = {name for name, r in log.items() if stored[r.request_id]["purged_at"] is not None}
    assert purged == {"demo_old", "onprem_old", "strict_old", "nobody_old"}
    tomb = stored[log["demo_old"].request_id]
    kept = {"seq", "request_id", "started_at", "content_hash", "prev_hash", "record_hash", "purged_at"}
    assert all(value is None for key, value in tomb.items() if key not in kept)
    assert tomb["started_at"] is not None and len(str(tomb["record_hash"])) == 64

    code, out = verify()
    assert code == 0 and "8 record(s)" in out and "4 purged" in out
    assert cli("audit", "purge").out.count("purged 0 record(s)") == 1  # idempotent
    listed = cli("audit", "query", "--format", "jsonl", "--limit", "100").out.splitlines()
    assert len(listed) == 4  # tombstones are not listed...
    exported = cli("audit", "export", "--include-purged").out.splitlines()
    assert len(exported) == 8  # ...but exported on request, hashes and all


def test_a_fake_purge_of_a_young_record_fails_verification(engine: Engine) -> None:
    log = write(engine, [record(i, started_at=days_ago(10 - i)) for i in range(3)])
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET purged_at = :now, tenant = NULL WHERE request_id = :r"),
            {"now": NOW, "r": log[1].request_id},
        )
    code, out = verify()
    assert code == 1 and log[1].request_id in out and "minimum retention" in out


def export_content(*filters: str) -> dict[str, dict[str, object]]:
    lines = cli("audit", "export", "--content", "decrypted", *filters).out.splitlines()
    return {line["request_id"]: line for line in map(json.loads, lines)}


def test_forget_crypto_shreds_a_tenant_and_the_chain_still_verifies(engine: Engine) -> None:
    demo = [record(i, request_content=f"user: demo secret {i}", response_content="ok") for i in range(3)]
    onprem = [record(10 + i, tenant="onprem", request_content=f"user: onprem {i}") for i in range(2)]
    write(engine, [demo[0], onprem[0], demo[1], onprem[1], demo[2]])
    assert export_content("--tenant", "demo")[demo[0].request_id]["request_content"] == "user: demo secret 0"

    refused = cli("audit", "forget", "--tenant", "demo")
    assert refused.code == 2 and "--yes" in refused.err
    result = cli("audit", "forget", "--tenant", "demo", "--yes")
    assert result.code == 0 and "1 data key(s) destroyed" in result.out and "3 record(s)" in result.out

    after = export_content("--tenant", "demo")
    assert all(line["request_content"] is None and line["content_erased"] for line in after.values())
    assert export_content("--tenant", "onprem")[onprem[1].request_id]["request_content"] == "user: onprem 1"
    with engine.connect() as connection:
        keys = connection.execute(select(AuditDataKeyRow.tenant, AuditDataKeyRow.wrapped_key)).all()
    assert ("demo", None) in keys  # the trace of the erasure stays, the key material does not
    stored = rows(engine)[demo[0].request_id]["request_content"]
    assert str(stored).startswith("gwenc1:")  # the ciphertext stays: the chain hashes it
    code, out = verify()
    assert code == 0 and "5 record(s)" in out

    # The tenant's next requests get a fresh key: readable, and the old content stays gone.
    fresh = record(20, request_content="user: after the erasure")
    write(engine, [fresh])
    after = export_content("--tenant", "demo")
    assert after[fresh.request_id]["request_content"] == "user: after the erasure"
    assert after[demo[2].request_id]["request_content"] is None
    assert verify()[0] == 0
