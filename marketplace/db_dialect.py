"""The few statements that differ between PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


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
