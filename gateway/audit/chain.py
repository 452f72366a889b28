"""The hash chain (format v2): two hashes a record, so content can go while links stay checkable.

    content_hash = sha256("gateway-audit-content/v2\\n" + canonical JSON of the record's fields)
    record_hash  = sha256("gateway-audit-link/v2\\n" + prev_hash + "\\n" + request_id + "\\n"
                          + started_at + "\\n" + content_hash)

The canonical form is the record's fields (not the chain columns below) as JSON with sorted keys,
no whitespace, timestamps as UTC ISO-8601 with microseconds, floats rounded to 3 places; fields
that are NULL are left out, so a nullable column added later does not change old records' hashes.
The same bytes come out of SQLite and PostgreSQL. Stored content is ciphertext (see crypto.py):
the hash covers the ciphertext, so destroying a tenant's key leaves the chain verifiable.

`request_id` and `started_at` are bound by the link itself, so a purged record (a tombstone whose
content is gone) still proves which request it was and when it happened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
CHAIN_COLUMNS = frozenset({"seq", "content_hash", "prev_hash", "record_hash", "purged_at"})
_CONTENT_PREFIX = b"gateway-audit-content/v2\n"
_LINK_PREFIX = "gateway-audit-link/v2"


def canonical_time(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive timestamps; we only write UTC
        return value.isoformat(timespec="microseconds") + "Z"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_bytes(row: Mapping[str, Any]) -> bytes:
    content: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or key in CHAIN_COLUMNS:
            continue
        # Exact type checks, not isinstance: this runs for every field of every record verified.
        kind = type(value)
        if kind is datetime:
            value = canonical_time(value)
        elif kind is float:
            value = repr(round(value, 3))
        content[key] = value
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(_CONTENT_PREFIX + canonical_bytes(row)).hexdigest()


def link_hash(prev_hash: str, request_id: str, started_at: datetime, content_digest: str) -> str:
    text = f"{_LINK_PREFIX}\n{prev_hash}\n{request_id}\n{canonical_time(started_at)}\n{content_digest}"
    return hashlib.sha256(text.encode()).hexdigest()
