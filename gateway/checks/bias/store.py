"""Bias audit runs in the database: written by `gateway bias audit`, read by the review page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.db.models import BiasAuditRunRow
from gateway.exchange import JsonObject


def save(engine: Engine, result: JsonObject) -> int:
    row = BiasAuditRunRow(
        started_at=datetime.fromisoformat(result["started_at"]),
        finished_at=datetime.fromisoformat(result["finished_at"]),
        model=result["model"],
        suite=result["suite"],
        suite_version=result["suite_version"],
        calls=result["calls"],
        cells=result["cells"],
    )
    with Session(engine) as session, session.begin():
        session.add(row)
        session.flush()
        return int(row.id)


def latest(
    engine: Engine, limit: int = 10, since: datetime | None = None, until: datetime | None = None
) -> list[JsonObject]:
    """The most recent runs (started in [since, until) when given), newest first, in the shape
    `audit.AuditResult.as_json` gives."""
    query = select(BiasAuditRunRow)
    if since is not None:
        query = query.where(BiasAuditRunRow.started_at >= since)
    if until is not None:
        query = query.where(BiasAuditRunRow.started_at < until)
    with Session(engine) as session:
        rows = session.scalars(query.order_by(BiasAuditRunRow.id.desc()).limit(limit)).all()
        return [
            {
                "id": row.id,
                "model": row.model,
                "suite": row.suite,
                "suite_version": row.suite_version,
                "started_at": row.started_at.isoformat(),
                "finished_at": row.finished_at.isoformat(),
                "calls": row.calls,
                "cells": row.cells,
            }
            for row in rows
        ]
