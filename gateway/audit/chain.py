"""The hash chain: each record's hash covers its canonical content and its predecessor's hash.

Canonical form: the record's fields (not `seq`, not the hashes) as JSON with sorted keys, no
whitespace, timestamps as UTC ISO-8601 with microseconds. The same bytes come out of SQLite
and PostgreSQL, so a chain written to one verifies the same when read back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
_NOT_HASHED = frozenset({"seq", "prev_hash", "record_hash"})


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands back naive timestamps; we only write UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, float):
        return repr(round(value, 3))
    return value


def canonical_bytes(row: Mapping[str, Any]) -> bytes:
    content = {k: _canonical_value(v) for k, v in row.items() if k not in _NOT_HASHED}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_bytes(row)).hexdigest()
