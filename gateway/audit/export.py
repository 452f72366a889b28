"""Write records as JSONL or CSV, one at a time: constant memory whatever the range."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, Any

from gateway.audit.reader import COLUMNS

Tick = Callable[[], None]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLite hands back naive times; every stored time is UTC
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str], tick: Tick | None = None) -> int:
    count = 0
    for record in records:
        out.write(json.dumps({k: _plain(v) for k, v in record.items()}, ensure_ascii=False) + "\n")
        count += 1
        if tick is not None:
            tick()
    return count


def write_csv(records: Iterable[dict[str, Any]], out: IO[str], tick: Tick | None = None) -> int:
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "content_erased"], extrasaction="ignore")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, (list, dict)) else _plain(v) for k, v in record.items()}
        )
        count += 1
        if tick is not None:
            tick()
    return count
