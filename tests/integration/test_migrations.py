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


def test_0003_refuses_to_go_back_over_two_phase_requests(database_url: str) -> None:
    """A request with an egress and an outcome entry cannot be represented by revision 0002
    (request_id unique there), so the downgrade refuses instead of losing an entry."""
    import pytest
    from sqlalchemy import text

    from gateway.audit.trail import Trail
    from gateway.routing import Route
    from tests.integration.audit_support import audit_keys, record, write

    upgrade(database_url)
    engine = make_engine(database_url)
    write(engine, [record(1)], audit_keys())
    trail = Trail("req_two_phases", "chat")
    trail.route = Route(
        location="cloud", model="gpt-4o", provider="openai", upstream_model="gpt-4o", reasons=()
    )
    write(engine, [trail.sending(), trail.record(200, "ok")], audit_keys())
    with pytest.raises(RuntimeError, match="several audit entries"):
        downgrade(database_url, "0002")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_records WHERE request_id = 'req_two_phases'"))
    downgrade(database_url, "0002")
    engine.dispose()
    engine = make_engine(database_url)
    assert "phase" not in {c["name"] for c in inspect(engine).get_columns("audit_records")}
    engine.dispose()
