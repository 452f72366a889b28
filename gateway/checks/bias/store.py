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


def latest(engine: Engine, limit: int = 10) -> list[JsonObject]:
    """The most recent runs, newest first, in the shape `audit.AuditResult.as_json` gives."""
    with Session(engine) as session:
        rows = session.scalars(select(BiasAuditRunRow).order_by(BiasAuditRunRow.id.desc()).limit(limit)).all()
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
