"""Pooled connections: an idle one is checked before use, a busy one is trusted.

The server ends a backend here with `pg_terminate_backend`, as a restart or an idle
time-out on the way would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from marketplace.db import ping_idle_connections


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(database_url: str, pid: int) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


@pytest.fixture
async def pool_of_one(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_an_idle_connection_that_died_is_replaced_before_use(
    pool_of_one: AsyncEngine, database_url: str
) -> None:
    ping_idle_connections(pool_of_one, idle_s=0.0)  # every returned connection counts as idle
    first = await _backend(pool_of_one)
    await _terminate(database_url, first)
    assert await _backend(pool_of_one) != first  # no error reached the caller


async def test_a_connection_used_a_moment_ago_is_not_pinged(
    pool_of_one: AsyncEngine, database_url: str
) -> None:
    ping_idle_connections(pool_of_one, idle_s=3600.0)
    first = await _backend(pool_of_one)
    await _terminate(database_url, first)
    with pytest.raises(sa.exc.DBAPIError) as failed:  # trusted, so its first use finds it dead
        await _backend(pool_of_one)
    assert failed.value.connection_invalidated
    assert await _backend(pool_of_one) != first  # and the pool has moved on
