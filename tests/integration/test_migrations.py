"""Migrations run both ways on PostgreSQL, and the models match what they build."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from marketplace import migrations
from marketplace.models import metadata
from tests.conftest import PG_SERVER, _admin, in_thread


@pytest.fixture
def scratch_database() -> str:
    name = f"fieldhand_mig_{uuid.uuid4().hex[:10]}"
    in_thread(lambda: asyncio.run(_admin(f'CREATE DATABASE "{name}"')))
    yield f"{PG_SERVER}/{name}"
    in_thread(lambda: asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    await engine.dispose()
    return names


async def _drift(url: str) -> list[object]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata
            )
        )
    await engine.dispose()
    return diff


async def test_upgrade_downgrade_upgrade_and_no_drift(scratch_database: str) -> None:
    in_thread(lambda: migrations.upgrade(scratch_database))
    assert set(metadata.tables) <= await _tables(scratch_database)
    in_thread(lambda: migrations.downgrade(scratch_database, "base"))
    assert await _tables(scratch_database) <= {"alembic_version"}
    in_thread(lambda: migrations.upgrade(scratch_database))
    assert set(metadata.tables) <= await _tables(scratch_database)
    assert await _drift(scratch_database) == []


async def test_ledger_is_append_only_in_the_database(scratch_database: str) -> None:
    in_thread(lambda: migrations.upgrade(scratch_database))
    engine = create_async_engine(scratch_database)
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO ledger_entries (id, correlation_id, account, amount_minor, currency, kind,"
                " created_at) VALUES (:id, 'c1', 'platform:fees', 100, 'eur', 'fee', now())"
            ),
            {"id": uuid.uuid4()},
        )
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE ledger_entries SET amount_minor = 1"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(sa.text("DELETE FROM ledger_entries"))
    await engine.dispose()
