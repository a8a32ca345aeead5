"""Integration tests start from empty tables (reference data included)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from marketplace.models import metadata

_TRUNCATE = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)


@pytest.fixture(autouse=True)
async def clean_database(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {_TRUNCATE} RESTART IDENTITY CASCADE"))
    yield
