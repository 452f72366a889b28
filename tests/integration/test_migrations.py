"""Alembic: upgrade to head and back to base, on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from gateway.db.engine import downgrade, make_engine, upgrade
from gateway.db.models import Base


def test_upgrade_matches_the_models_then_downgrade_removes_everything(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in inspect(engine).get_columns(name)} == set(table.columns.keys())
    engine.dispose()
    downgrade(database_url)
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(database_url)  # and up again: downgrade left nothing behind that blocks it
