"""Engines for SQLite and PostgreSQL, and the Alembic upgrade that `serve` runs on start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def make_engine(database_url: str, write_timeout_seconds: float = 10.0) -> Engine:
    """`write_timeout_seconds` bounds how long a statement waits for a lock (SQLite's write
    lock, a PostgreSQL row lock) or for a PostgreSQL connection, so that a held lock or a
    refusing server turns into an error instead of a hung request."""
    url = make_url(database_url)
    timeout_ms = max(1, int(write_timeout_seconds * 1000))
    # msgspec decodes JSON columns to the same values as the json module, several times faster:
    # it matters when verification reads a million records' findings and checks.
    if url.get_backend_name() != "sqlite":
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            connect_args = {
                "connect_timeout": max(1, round(write_timeout_seconds)),
                "options": f"-c lock_timeout={timeout_ms}",
            }
        return create_engine(
            url, pool_pre_ping=True, json_deserializer=msgspec.json.decode, connect_args=connect_args
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, json_deserializer=msgspec.json.decode)

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _: Any) -> None:
        # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is wrong for us) and
        # take the write lock at BEGIN, so two writers never interleave a chain.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # A read snapshot must not take the write lock: it would stall every writer meanwhile.
        if connection.get_execution_options().get(_READ_SNAPSHOT):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_READ_SNAPSHOT = "gateway_read_snapshot"


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one consistent state of the database for as long as it is open,
    without blocking writers: PostgreSQL REPEATABLE READ, SQLite a deferred read transaction in
    WAL mode. Verification reads the chain head, the checkpoints and every record through one."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        else:
            connection.execution_options(**{_READ_SNAPSHOT: True})
        with connection.begin():
            yield connection


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    if make_url(database_url).get_backend_name() == "sqlite":
        make_engine(database_url).dispose()  # creates the file's folder
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
