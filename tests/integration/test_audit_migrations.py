"""Revision 0002 on SQLite and PostgreSQL: a v1 chain is checked, then re-sealed as v2 (and
back on downgrade); a tampered v1 chain is refused, never laundered."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, select, text

from gateway.db.engine import downgrade, make_engine, upgrade
from tests.integration.audit_support import cli, record, use_audit_env, write


def v1_hash(prev: str, row: dict[str, Any]) -> str:
    """Chain format v1 as revision 0001's writer computed it, written out independently."""

    def value(v: Any) -> Any:
        if isinstance(v, datetime):
            return (
                (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            )
        return repr(round(v, 3)) if isinstance(v, float) else v

    content = {k: value(v) for k, v in row.items() if k not in ("seq", "prev_hash", "record_hash")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    use_audit_env(monkeypatch)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def write_v1(engine: Engine, count: int) -> list[str]:
    table = Table("audit_records", MetaData(), autoload_with=engine)
    prev, ids = "0" * 64, []
    with engine.begin() as connection:
        for i in range(count):
            row = record(i, request_content=f"user: legacy {i}" if i % 2 else None).as_row()
            for newer in ("phase", "destinations"):  # columns of revision 0003
                row.pop(newer)
            current = v1_hash(prev, row)
            connection.execute(table.insert().values(**row, prev_hash=prev, record_hash=current))
            prev = current
            ids.append(row["request_id"])
    return ids


def v1_chain_holds(engine: Engine) -> bool:
    table = Table("audit_records", MetaData(), autoload_with=engine)
    prev = "0" * 64
    with engine.connect() as connection:
        for row in connection.execute(select(table).order_by(table.c.seq)).mappings():
            fields = {k: v for k, v in row.items()}
            for name in ("route_reasons", "findings", "checks"):
                if isinstance(fields[name], str):  # reflected SQLite JSON may come back as text
                    fields[name] = json.loads(fields[name])
            if isinstance(fields["stream"], int):
                fields["stream"] = bool(fields["stream"])
            if row["prev_hash"] != prev or v1_hash(prev, fields) != row["record_hash"]:
                return False
            prev = row["record_hash"]
    return True


def test_a_v1_chain_is_resealed_on_upgrade_and_back_on_downgrade(engine: Engine, database_url: str) -> None:
    ids = write_v1(engine, 12)
    assert v1_chain_holds(engine)
    upgrade(database_url)
    result = cli("audit", "verify", "--no-progress")
    assert result.code == 0 and "12 record(s)" in result.out, result.out
    listed = cli("audit", "export", "--content", "decrypted", "--tenant", "demo").out
    assert "user: legacy 1" in listed  # v1 plaintext content stays readable
    new = write(engine, [record(20, request_content="user: sealed")])  # and v2 appends continue it
    assert cli("audit", "verify", "--no-progress").code == 0

    downgrade(database_url, "0001")
    assert v1_chain_holds(engine)
    with engine.connect() as connection:
        content = connection.execute(
            text("SELECT request_content FROM audit_records WHERE request_id = :r"), {"r": new[0].request_id}
        ).scalar_one()
    assert content is None  # sealed content left with its key table
    upgrade(database_url)
    assert cli("audit", "verify", "--no-progress").code == 0
    assert len(ids) == 12


def test_a_tampered_v1_chain_stops_the_upgrade(engine: Engine, database_url: str) -> None:
    ids = write_v1(engine, 5)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET status_code = 500 WHERE request_id = :r"), {"r": ids[2]}
        )
    with pytest.raises(RuntimeError, match=ids[2]):
        upgrade(database_url)


def test_downgrade_refuses_to_drop_tombstones(engine: Engine, database_url: str) -> None:
    upgrade(database_url)
    (old,) = write(engine, [record(0, started_at=datetime(2020, 1, 1, tzinfo=UTC))])
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET purged_at = started_at"))
    with pytest.raises(RuntimeError, match="purged"):
        downgrade(database_url, "0001")
    assert old.request_id
