"""Alembic environment: runs against the engine the caller put in `config.attributes["engine"]`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from hustings.storage.metadata import target_metadata

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    from hustings.settings import Settings
    from hustings.storage.database import engine_from_settings

    engine = engine_from_settings(Settings())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
