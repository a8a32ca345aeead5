"""Async Alembic environment for PostgreSQL and SQLite (batch mode on SQLite).

The database URL is taken, in order, from `config.attributes["database_url"]` (tests and
`make run` pass it programmatically), then `FIELDHAND_DATABASE_URL` via Settings.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from alembic import context
from marketplace.db import UTCDateTime
from marketplace.models import metadata
from marketplace.settings import Settings

config = context.config
target_metadata = metadata


def _database_url() -> str:
    return config.attributes.get("database_url") or Settings().database_url


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our column types with plain SQLAlchemy ones: migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    is_sqlite = (url or _database_url()).startswith("sqlite")
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        compare_server_default=False,
        render_item=_render_item,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # an engine supplied by the caller (tests)
        await connection.run_sync(_run_sync)
        return
    engine = async_engine_from_config(
        {"sqlalchemy.url": _database_url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    async with engine.connect() as conn:
        await conn.run_sync(_run_sync)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
