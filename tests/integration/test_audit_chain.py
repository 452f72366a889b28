"""Tamper evidence: each mutation is made directly in the database (SQLite and PostgreSQL) and
`gateway audit verify` must exit non-zero naming the first bad record."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text

from gateway.audit.chain import content_hash, link_hash
from gateway.audit.checkpoint import sign_checkpoint
from gateway.audit.keys import AuditKeys
from gateway.audit.record import AuditRecord
from gateway.db.engine import make_engine
from gateway.db.models import AuditCheckpointRow, AuditRecordRow
from tests.integration.audit_support import (
    FOREIGN_SIGNING_KEY,
    T0,
    audit_keys,
    cli,
    key_environ,
    record,
    write,
)


@pytest.fixture
def chain(engine: Engine) -> list[AuditRecord]:
    """30 records in batches of 7, a checkpoint due every 10: signed at sizes 7 (the first batch:
    no checkpoint yet), 21, and 30 (`gateway audit checkpoint` signs the head)."""
    records = [
        record(i, request_content=f"user: question {i} about <US_SSN>" if i % 3 == 0 else None)
        for i in range(30)
    ]
    write(engine, records, audit_keys(checkpoint_every=10))
    assert cli("audit", "checkpoint").code == 0
    return records


def verify(*extra: str) -> tuple[int, str]:
    result = cli("audit", "verify", "--no-progress", *extra)
    return result.code, result.out


def execute(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), params)


def row_of(engine: Engine, request_id: str) -> dict[str, object]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                select(*AuditRecordRow.__table__.columns).where(AuditRecordRow.request_id == request_id)
            )
            .mappings()
            .one()
        )


def test_an_intact_chain_verifies(engine: Engine, chain: list[AuditRecord]) -> None:
    code, out = verify()
    assert code == 0, out
    assert "30 record(s)" in out and "3 signed checkpoint(s) matched" in out


def test_an_edited_field_names_that_record(engine: Engine, chain: list[AuditRecord]) -> None:
    execute(
        engine, "UPDATE audit_records SET location = 'local' WHERE request_id = :r", r=chain[12].request_id
    )
    code, out = verify()
    assert code == 1 and chain[12].request_id in out and "content" in out


def test_edited_ciphertext_names_that_record(engine: Engine, chain: list[AuditRecord]) -> None:
    execute(
        engine,
        "UPDATE audit_records SET request_content = request_content || 'x' WHERE request_id = :r",
        r=chain[9].request_id,
    )
    code, out = verify()
    assert code == 1 and chain[9].request_id in out


def test_a_deleted_record_names_the_record_after_the_gap(engine: Engine, chain: list[AuditRecord]) -> None:
    execute(engine, "DELETE FROM audit_records WHERE request_id = :r", r=chain[12].request_id)
    code, out = verify()
    assert code == 1 and chain[13].request_id in out and chain[12].request_id not in out


def _make_room_at(engine: Engine, seq: int) -> None:
    """Shift every record from `seq` on one place up (in two steps: keys stay unique)."""
    execute(engine, "UPDATE audit_records SET seq = -seq WHERE seq >= :s", s=seq)
    execute(engine, "UPDATE audit_records SET seq = 1 - seq WHERE seq < 0")


def test_an_inserted_record_with_perfect_hashes_is_named(engine: Engine, chain: list[AuditRecord]) -> None:
    before = row_of(engine, chain[11].request_id)
    forged = {**row_of(engine, chain[11].request_id), "request_id": "req_forged", "location": "local"}
    forged["started_at"] = before["started_at"] + timedelta(seconds=1)  # type: ignore[operator]
    forged["content_hash"] = content_hash(forged)
    forged["prev_hash"] = before["record_hash"]
    forged["record_hash"] = link_hash(
        str(before["record_hash"]), "req_forged", forged["started_at"], forged["content_hash"]
    )
    _make_room_at(engine, int(before["seq"]) + 1)  # type: ignore[call-overload]
    forged["seq"] = int(before["seq"]) + 1  # type: ignore[call-overload]
    with engine.begin() as connection:
        connection.execute(AuditRecordRow.__table__.insert().values(**forged))
    code, out = verify()
    assert code == 1 and "req_forged" in out and "inserted" in out


def test_an_inserted_copy_with_stale_hashes_is_named(engine: Engine, chain: list[AuditRecord]) -> None:
    copy = {**row_of(engine, chain[20].request_id), "request_id": "req_copy"}
    _make_room_at(engine, 6)
    copy["seq"] = 6
    with engine.begin() as connection:
        connection.execute(AuditRecordRow.__table__.insert().values(**copy))
    code, out = verify()
    assert code == 1 and "req_copy" in out


def test_reordered_records_name_the_first_out_of_place(engine: Engine, chain: list[AuditRecord]) -> None:
    a, b = row_of(engine, chain[12].request_id)["seq"], row_of(engine, chain[13].request_id)["seq"]
    execute(engine, "UPDATE audit_records SET seq = -1 WHERE seq = :a", a=a)
    execute(engine, "UPDATE audit_records SET seq = :a WHERE seq = :b", a=a, b=b)
    execute(engine, "UPDATE audit_records SET seq = :b WHERE seq = -1", b=b)
    code, out = verify()
    assert code == 1 and chain[13].request_id in out


def test_a_truncated_tail_is_caught_by_the_last_checkpoint(engine: Engine, chain: list[AuditRecord]) -> None:
    # A careful attacker also rewinds the (unsigned) head row; the signed checkpoint still holds.
    last_kept = row_of(engine, chain[26].request_id)
    execute(engine, "DELETE FROM audit_records WHERE seq > :s", s=last_kept["seq"])
    execute(
        engine,
        "UPDATE audit_chain_head SET size = 27, head_seq = :s, head_request_id = :r, head_hash = :h",
        s=last_kept["seq"],
        r=last_kept["request_id"],
        h=last_kept["record_hash"],
    )
    code, out = verify()
    assert code == 1 and chain[29].request_id in out and "truncated" in out


def test_a_truncated_tail_is_caught_by_the_head_row_too(engine: Engine, chain: list[AuditRecord]) -> None:
    execute(engine, "DELETE FROM audit_checkpoints WHERE size > 28")
    execute(engine, "DELETE FROM audit_records WHERE request_id = :r", r=chain[29].request_id)
    code, out = verify()
    assert code == 1 and chain[29].request_id in out and "truncated" in out


def test_a_forged_checkpoint_is_named(engine: Engine, chain: list[AuditRecord]) -> None:
    execute(engine, "UPDATE audit_checkpoints SET size = 31 WHERE size = 30")
    code, out = verify()
    assert code == 1 and chain[29].request_id in out and "signature" in out


def test_a_checkpoint_signed_by_an_untrusted_key_is_named(engine: Engine, chain: list[AuditRecord]) -> None:
    foreign = AuditKeys.from_environ(key_environ(GATEWAY_AUDIT_SIGNING_KEY=FOREIGN_SIGNING_KEY))
    last = row_of(engine, chain[29].request_id)
    forged = sign_checkpoint(
        foreign.signing_key,
        30,
        int(last["seq"]),
        chain[29].request_id,
        str(last["record_hash"]),
        T0,  # type: ignore[call-overload]
    )
    values = {**forged.as_json(), "created_at": T0}
    with engine.begin() as connection:
        connection.execute(AuditCheckpointRow.__table__.insert().values(**values))
    code, out = verify()
    assert code == 1 and chain[29].request_id in out and "not a trusted verify key" in out


def test_history_rewritten_with_every_hash_recomputed_fails_at_a_checkpoint(
    engine: Engine, chain: list[AuditRecord]
) -> None:
    with engine.begin() as connection:
        rows = [
            dict(r)
            for r in connection.execute(
                select(*AuditRecordRow.__table__.columns).order_by(AuditRecordRow.seq)
            ).mappings()
        ]
        rows[5]["location"] = "local"
        prev = rows[4]["record_hash"]
        for row in rows[5:]:
            row["content_hash"] = content_hash(row)
            row["prev_hash"] = prev
            row["record_hash"] = prev = link_hash(
                prev, row["request_id"], row["started_at"], row["content_hash"]
            )
            connection.execute(
                AuditRecordRow.__table__.update()
                .where(AuditRecordRow.seq == row["seq"])
                .values(
                    location=row["location"],
                    content_hash=row["content_hash"],
                    prev_hash=row["prev_hash"],
                    record_hash=row["record_hash"],
                )
            )
    code, out = verify()
    assert code == 1 and "checkpoint" in out and chain[6].request_id in out  # the size-7 checkpoint


def test_verify_since_starts_at_the_last_checkpoint_before_then(
    engine: Engine, chain: list[AuditRecord]
) -> None:
    with engine.connect() as connection:
        sizes = (
            connection.execute(select(AuditCheckpointRow.size).order_by(AuditCheckpointRow.id))
            .scalars()
            .all()
        )
    assert sizes == [7, 21, 30]
    code, out = verify("--since", "2100-01-01")
    assert code == 0 and "from checkpoint" in out and "0 record(s)" in out
    execute(
        engine, "UPDATE audit_records SET status_code = 500 WHERE request_id = :r", r=chain[29].request_id
    )
    code, out = verify("--since", "2100-01-01")
    assert code == 1 and chain[29].request_id in out


def test_a_checkpoint_anchored_outside_the_database_catches_a_deleted_checkpoint(
    engine: Engine, chain: list[AuditRecord], tmp_path: object
) -> None:
    from pathlib import Path

    anchor = Path(str(tmp_path)) / "anchors.jsonl"
    anchor.write_text(cli("audit", "checkpoint").out)
    execute(engine, "DELETE FROM audit_checkpoints")
    execute(engine, "DELETE FROM audit_records WHERE request_id = :r", r=chain[29].request_id)
    execute(engine, "UPDATE audit_chain_head SET size = 29")
    assert verify()[0] == 0  # with no checkpoint left in the database, the truncation is invisible...
    code, out = verify("--anchor", str(anchor))
    assert code == 1 and chain[29].request_id in out  # ...but not to the anchored one


def _write_from_process(url: str, tag: int, count: int, environ: dict[str, str]) -> None:
    import asyncio

    from gateway.audit.writer import AuditWriter

    writer = AuditWriter(make_engine(url), AuditKeys.from_environ(environ))

    async def run() -> None:
        await asyncio.gather(
            *(
                writer.write(record(i, request_id=f"req_p{tag}_{i}", request_content="x"))
                for i in range(count)
            )
        )

    asyncio.run(run())
    writer.stop()


def test_several_processes_writing_at_once_build_one_valid_chain(engine: Engine, database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    environ = key_environ(checkpoint_every=50)
    workers = [
        context.Process(target=_write_from_process, args=(database_url, tag, 150, environ))
        for tag in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    code, out = verify()
    assert code == 0, out
    assert "600 record(s)" in out
    with engine.connect() as connection:
        seqs = connection.execute(select(AuditRecordRow.seq).order_by(AuditRecordRow.seq)).scalars().all()
    assert seqs == list(range(1, 601))  # contiguous: every append happened under the chain lock
