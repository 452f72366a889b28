"""Read the audit log back: filtered queries and streamed JSONL/CSV export (constant memory)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Engine, Select, select

from gateway.db.models import AuditRecordRow

COLUMNS = [column.name for column in AuditRecordRow.__table__.columns]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    tenant: str | None = None
    status_code: int | None = None
    outcome: str | None = None
    location: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        table = AuditRecordRow
        equal = {
            table.tenant: self.tenant,
            table.status_code: self.status_code,
            table.outcome: self.outcome,
            table.location: self.location,
            table.request_id: self.request_id,
        }
        for column, value in equal.items():
            if value is not None:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(table.started_at >= self.since)
        if self.until is not None:
            query = query.where(table.started_at < self.until)
        return query


def iter_records(engine: Engine, where: AuditFilter, limit: int | None = None) -> Iterator[dict[str, Any]]:
    query = where.apply(select(*AuditRecordRow.__table__.columns)).order_by(AuditRecordRow.seq)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        for row in connection.execution_options(yield_per=2000).execute(query).mappings():
            yield dict(row)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps({k: _plain(v) for k, v in record.items()}, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for record in records:
        row = {k: json.dumps(v) if isinstance(v, (list, dict)) else _plain(v) for k, v in record.items()}
        writer.writerow(row)
        count += 1
    return count
