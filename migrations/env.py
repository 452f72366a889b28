"""Alembic environment: the URL comes from the gateway (`gateway db upgrade`), not from a file."""

from __future__ import annotations

from alembic import context

from gateway.db.engine import make_engine
from gateway.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or "sqlite:///var/gateway.db"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
