"""The verification walk on rows in memory: each kind of tampering, named as the contract says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.audit.chain import GENESIS_HASH, content_hash, link_hash
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.verify import ChainWalk, Failure

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def chain(n: int) -> list[dict[str, Any]]:
    rows, prev = [], GENESIS_HASH
    for i in range(n):
        row: dict[str, Any] = {"seq": i + 1, "request_id": f"r{i}", "started_at": T0 + timedelta(seconds=i)}
        row.update(tenant="t", status_code=200, purged_at=None)
        row["content_hash"] = content_hash(row)
        row["prev_hash"] = prev
        row["record_hash"] = prev = link_hash(prev, row["request_id"], row["started_at"], row["content_hash"])
        rows.append(row)
    return rows


def walk(
    rows: list[dict[str, Any]], checkpoints: dict[int, list[Checkpoint]] | None = None
) -> Failure | None:
    walker = ChainWalk(checkpoints or {})
    for index, row in enumerate(rows):
        failure = walker.feed(row, rows[index + 1] if index + 1 < len(rows) else None)
        if failure is not None:
            return failure
    return None


def test_an_intact_chain_passes() -> None:
    assert walk(chain(10)) is None


def test_edit_delete_insert_reorder() -> None:
    rows = chain(10)
    edited = [dict(r) for r in rows]
    edited[4]["status_code"] = 500
    assert walk(edited) == Failure("r4", "content does not match its content hash (a field was edited)")
    assert (walk(rows[:4] + rows[5:]) or Failure("", "")).request_id == "r5"
    assert (walk([rows[0], rows[2], rows[1], *rows[3:]]) or Failure("", "")).request_id == "r2"
    forged = dict(rows[3], request_id="evil")
    forged["record_hash"] = link_hash(
        forged["prev_hash"], "evil", forged["started_at"], forged["content_hash"]
    )
    failure = walk([*rows[:4], forged, *rows[4:]])
    assert failure is not None and failure.request_id == "evil" and "inserted" in failure.problem


def test_a_tombstone_keeps_its_links_checkable() -> None:
    rows = chain(5)
    kept = ("seq", "request_id", "started_at", "content_hash", "prev_hash", "record_hash")
    rows[2] = {k: v for k, v in rows[2].items() if k in kept}
    rows[2].update(purged_at=T0, tenant=None, status_code=None)
    assert walk(rows) is None
    rows[2]["request_id"] = "renamed"
    assert (walk(rows) or Failure("", "")).request_id == "renamed"


def test_a_tombstone_younger_than_the_legal_minimum_fails() -> None:
    rows = chain(3)
    rows[1].update(purged_at=T0, tenant=None, status_code=None)
    walker = ChainWalk({}, purge_floor=T0)  # everything after T0 is too young to purge
    assert walker.feed(rows[0]) is None
    failure = walker.feed(rows[1])
    assert failure is not None and "minimum retention" in failure.problem


def test_a_checkpoint_pins_the_head_at_its_size() -> None:
    rows = chain(6)
    good = Checkpoint(3, 3, "r2", rows[2]["record_hash"], T0, "k", "sig", id=1)
    assert walk(rows, {3: [good]}) is None
    bad = Checkpoint(3, 3, "r2", "f" * 64, T0, "k", "sig", id=2)
    failure = walk(rows, {3: [bad]})
    assert failure is not None and failure.request_id == "r2" and "checkpoint #2" in failure.problem
