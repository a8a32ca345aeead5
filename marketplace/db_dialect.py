"""The few statements that differ between PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def insert_ignoring_conflicts(
    session: AsyncSession, model: Any, values: dict[str, Any], *, conflict_columns: Sequence[str]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when a row was inserted."""
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    table = model.__table__
    stmt: Any
    if dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    else:
        stmt = (
            postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
        )
    result = await session.execute(stmt.returning(table.c.id))
    return result.first() is not None


def supports_row_locks(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def enforces_exclusions(session: AsyncSession) -> bool:
    """Whether the database holds the EXCLUDE constraints (PostgreSQL; migration 0002 adds
    them only there), so an overlapping insert fails by itself."""
    return supports_row_locks(session)


async def row_for_update(
    session: AsyncSession, model: type[T], row_id: uuid.UUID, *, lock: bool = True, refresh: bool = False
) -> T | None:
    """`model`'s row with primary key `row_id`, read with a SELECT and, with `lock`, held
    FOR UPDATE until the transaction ends where the database has row locks (PostgreSQL;
    SQLite serialises writers anyway). `refresh` overwrites what the session already holds
    of the row with what was read."""
    query = sa.select(model).where(sa.inspect(model).primary_key[0] == row_id)
    if refresh:
        query = query.execution_options(populate_existing=True)
    if lock and supports_row_locks(session):
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()
