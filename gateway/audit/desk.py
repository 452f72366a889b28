"""The reviewers' desk: what the admin API and the review page show, scoped to a reviewer.

Listings are newest first with a keyset cursor (`before` = a seq), so paging stays cheap at any
depth. A record's detail re-checks that one record against its hashes and its predecessor, and
says whether a signed checkpoint already covers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from gateway.audit.chain import content_hash, link_hash
from gateway.audit.checkpoint import signature_problem
from gateway.audit.filters import AuditFilter
from gateway.audit.keyring import Keyring
from gateway.audit.keys import AuditKeys
from gateway.audit.reader import count_records, iter_records, open_content, readable_keys
from gateway.audit.verify import Verification, load_checkpoints, verify_chain
from gateway.db.models import AuditRecordRow

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page:
    records: list[dict[str, Any]]
    next_before: int | None  # pass as `before` for the next (older) page


@dataclass(frozen=True, slots=True)
class RecordCheck:
    content_ok: bool
    link_ok: bool  # prev_hash is the predecessor's record_hash, record_hash recomputes
    covered_by: int | None  # id of the first valid signed checkpoint that covers it

    @property
    def ok(self) -> bool:
        return self.content_ok and self.link_ok


@dataclass(frozen=True, slots=True)
class RecordDetail:
    record: dict[str, Any]  # content decrypted; None and content_erased when the key is gone
    check: RecordCheck


class ReviewDesk:
    def __init__(self, engine: Engine, keys: AuditKeys) -> None:
        self.engine = engine
        self.keys = keys
        self._keyring = Keyring(keys.master_key, keys.master_key_id)

    def page(self, where: AuditFilter, before: int | None = None, limit: int = 50) -> Page:
        limit = max(1, min(limit, MAX_PAGE))
        records = list(
            iter_records(self.engine, where, limit=limit + 1, newest_first=True, before_seq=before)
        )
        more = len(records) > limit
        records = records[:limit]
        return Page(records, records[-1]["seq"] if more and records else None)

    def detail(self, request_id: str, scope: tuple[str, ...] | None) -> RecordDetail | None:
        where = replace(AuditFilter(request_id=request_id, include_purged=True), scope=scope)
        found = list(iter_records(self.engine, where, mode="stored", limit=1))
        if not found:
            return None
        stored = found[0]
        table = AuditRecordRow
        with self.engine.connect() as connection:
            prev = connection.execute(
                select(table.record_hash).where(table.seq < stored["seq"]).order_by(table.seq.desc()).limit(1)
            ).scalar_one_or_none()
            checkpoints = load_checkpoints(connection)
            keys = readable_keys(connection, self._keyring)
        check = RecordCheck(
            content_ok=stored["purged_at"] is not None or content_hash(stored) == stored["content_hash"],
            link_ok=(prev is None or stored["prev_hash"] == prev)
            and link_hash(stored["prev_hash"], request_id, stored["started_at"], stored["content_hash"])
            == stored["record_hash"],
            covered_by=next(
                (
                    c.id
                    for c in checkpoints
                    if c.head_seq >= stored["seq"] and signature_problem(c, self.keys) is None
                ),
                None,
            ),
        )
        return RecordDetail(open_content(dict(stored), "decrypted", keys), check)

    def count(self, scope: tuple[str, ...]) -> int:
        """Requests recorded for these tenants (what a scoped reviewer may know of the log)."""
        return count_records(self.engine, AuditFilter(scope=scope))

    def chain_status(self, full: bool = False) -> Verification:
        """Full: the whole chain. Otherwise from the newest checkpoint on (fast at any size)."""
        return verify_chain(self.engine, self.keys, since=None if full else datetime.now(UTC))


def public_view(record: dict[str, Any], fields: Sequence[str] | None = None) -> dict[str, Any]:
    """A record as JSON for reviewers: times as ISO-8601 UTC, nothing sealed."""
    view: dict[str, Any] = {}
    for key, value in record.items():
        if fields is not None and key not in fields:
            continue
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        view[key] = value
    return view
