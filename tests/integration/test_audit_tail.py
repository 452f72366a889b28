"""The tail no checkpoint covers is bounded by the checkpoint cadence and always stated."""

from __future__ import annotations

from sqlalchemy import Engine

from gateway.audit.keys import AuditKeys
from tests.integration.audit_support import audit_keys, record, write
from tests.integration.test_audit_chain import execute, row_of, verify


def test_checkpoints_come_often_by_default() -> None:
    keys = AuditKeys.from_environ({})
    assert (keys.checkpoint_every, keys.checkpoint_seconds) == (100, 5.0)


def test_verify_states_the_uncovered_tail_even_after_a_careful_truncation(engine: Engine) -> None:
    """250 records in batches of 7, a checkpoint due every 100: signed at 7 (the first batch),
    112 and 217; the last 33 records are covered by hashes only. An insider deletes the last 5
    and rewinds the head row: that cannot be detected, but verify says how many records were
    exposed to it."""
    records = write(engine, [record(i) for i in range(250)], audit_keys(checkpoint_every=100))
    code, out = verify()
    assert code == 0 and "uncovered tail: 33 record(s)" in out, out

    last_kept = row_of(engine, records[244].request_id)
    execute(engine, "DELETE FROM audit_records WHERE seq > :s", s=last_kept["seq"])
    execute(
        engine,
        "UPDATE audit_chain_head SET size = 245, head_seq = :s, head_request_id = :r, head_hash = :h",
        s=last_kept["seq"],
        r=last_kept["request_id"],
        h=last_kept["record_hash"],
    )
    code, out = verify()
    assert code == 0 and "uncovered tail: 28 record(s)" in out, out
