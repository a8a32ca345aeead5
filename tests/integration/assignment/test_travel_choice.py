"""A dispatch run plans with the configured travel model and records which one answered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.assignment import batch
from marketplace.assignment.config import DispatchConfig
from marketplace.settings import Settings
from tests.integration.assignment.test_horizon import _tomorrows_visit
from tests.table_server import table_server

SF = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def _run(sf: SF, settings: Settings) -> batch.RunSummary:
    await _tomorrows_visit(sf, NOW)
    async with sf() as s:
        summary = await batch.run_region(
            s, "default", settings=settings, config=DispatchConfig(), trigger="test", now=NOW
        )
        await s.rollback()
    return summary


@pytest.mark.parametrize(("mode", "used"), [("ok", "osrm"), ("down", "straight (osrm failed: ")])
async def test_the_run_records_the_road_service_or_the_fallback(
    session_factory: SF, settings: Settings, mode: str, used: str
) -> None:
    with table_server(mode) as (server, url):
        summary = await _run(
            session_factory,
            settings.model_copy(
                update={"solver_time_limit_s": 1.0, "travel_model": "osrm", "travel_table_url": url}
            ),
        )
    assert server.requests >= 1
    assert summary.travel.startswith(used), summary.travel
    assert summary.open_orders == 1 and summary.unplaced == 0, summary.as_dict()
