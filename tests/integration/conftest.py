"""Integration tests start from empty tables (reference data included)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from marketplace.models import metadata

_TRUNCATE = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)


@pytest.fixture(autouse=True)
async def clean_database(engine: AsyncEngine) -> AsyncIterator[None]:
    # A task the previous test's requests queued (e.g. a new order's sign-in link) may still
    # hold row locks: a deadlock with TRUNCATE aborts one side, so try again.
    for attempt in range(1, 6):
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text(f"TRUNCATE {_TRUNCATE} RESTART IDENTITY CASCADE"))
            break
        except DBAPIError as exc:
            if attempt == 5 or "deadlock" not in str(exc):
                raise
            await asyncio.sleep(0.2 * attempt)
    yield
