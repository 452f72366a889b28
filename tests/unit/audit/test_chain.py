"""Chain format v2: canonical bytes, content and link hashes (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gateway.audit.chain import GENESIS_HASH, canonical_bytes, content_hash, link_hash

ROW = {
    "request_id": "req_1",
    "started_at": datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC),
    "tenant": "demo",
    "latency_ms": 12.34567,
    "findings": [{"kind": "US_SSN", "check": "pii", "action": "redact", "count": 1}],
    "stream": False,
    "error_code": None,
}


def test_canonical_form_is_sorted_compact_and_leaves_out_nulls_and_chain_columns() -> None:
    row = {**ROW, "seq": 9, "prev_hash": "p", "record_hash": "r", "content_hash": "c", "purged_at": None}
    assert canonical_bytes(row) == (
        b'{"findings":[{"action":"redact","check":"pii","count":1,"kind":"US_SSN"}],'
        b'"latency_ms":"12.346","request_id":"req_1","started_at":"2026-01-05T09:00:00.123456Z",'
        b'"stream":false,"tenant":"demo"}'
    )


def test_the_same_instant_hashes_the_same_whatever_its_zone_or_naivety() -> None:
    paris = ROW["started_at"].astimezone(timezone(timedelta(hours=1)))  # type: ignore[union-attr]
    naive = ROW["started_at"].replace(tzinfo=None)  # type: ignore[union-attr]
    digests = {content_hash({**ROW, "started_at": value}) for value in (ROW["started_at"], paris, naive)}
    assert len(digests) == 1


def test_a_new_nullable_field_does_not_change_old_hashes() -> None:
    assert content_hash({**ROW, "added_later": None}) == content_hash(ROW)


def test_every_field_is_covered() -> None:
    base = content_hash(ROW)
    for key, value in {"tenant": "other", "stream": True, "latency_ms": 12.3, "findings": []}.items():
        assert content_hash({**ROW, key: value}) != base, key


def test_the_link_binds_predecessor_request_id_time_and_content() -> None:
    started = ROW["started_at"]
    base = link_hash(GENESIS_HASH, "req_1", started, "c" * 64)  # type: ignore[arg-type]
    assert link_hash("1" * 64, "req_1", started, "c" * 64) != base  # type: ignore[arg-type]
    assert link_hash(GENESIS_HASH, "req_2", started, "c" * 64) != base  # type: ignore[arg-type]
    later = started + timedelta(microseconds=1)  # type: ignore[operator]
    assert link_hash(GENESIS_HASH, "req_1", later, "c" * 64) != base
    assert link_hash(GENESIS_HASH, "req_1", started, "d" * 64) != base  # type: ignore[arg-type]
