"""The fairness weight: recent earnings in the ledger push a technician behind an equally
qualified colleague; at weight 0 only travel, rating and SLA decide."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.fairness.models import DecisionKind, DispatchDecision
from marketplace.fairness.recent_work import RECENT_WORK_WINDOW, recent_earnings, shares
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.mobile.helpers import AMSTERDAM, Tech, offer_round, open_work_order, ready_technician


async def _busy_and_idle(
    factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> tuple[Tech, Tech, uuid.UUID]:
    """Two technicians north and south of the job; the busy one is nearer and has won all
    of the region's recent work."""
    job = (AMSTERDAM[0] + 0.01, AMSTERDAM[1] + 0.01)
    busy = await ready_technician(factory, lat=job[0] + 0.004, lng=job[1])
    idle = await ready_technician(factory, lat=job[0] - 0.012, lng=job[1])
    earlier = await open_work_order(session_factory, lat=job[0], lng=job[1])
    order_id = await open_work_order(session_factory, lat=job[0], lng=job[1])
    now = utcnow()
    async with unit_of_work(session_factory) as s:
        region = (await s.get(WorkOrder, order_id)).region  # type: ignore[union-attr]
        for days_ago, amount in ((1, 9_600), (3, 12_000), (RECENT_WORK_WINDOW.days + 1, 50_000)):
            s.add(
                DispatchDecision(
                    work_order_id=earlier,
                    technician_id=busy.technician_id,
                    region=region,
                    kind=DecisionKind.WON,
                    earnings_minor=amount,
                    at=now - timedelta(days=days_ago),
                )
            )
    return busy, idle, order_id


@pytest.mark.parametrize("weight, first", [("0", "busy"), ("0.5", "idle")])
async def test_recent_earnings_move_a_technician_down_the_ranking(
    weight: str,
    first: str,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIELDHAND_DISPATCH_FAIRNESS_PER_PCT", weight)
    busy, idle, order_id = await _busy_and_idle(factory, session_factory)
    offers = (await offer_round(session_factory, order_id, max_offers=1)).offers
    chosen = {"busy": busy, "idle": idle}[first]
    assert [o.technician_id for o in offers] == [chosen.technician_id]
    fairness = {t["name"]: t for t in offers[0].explanation["terms"]}["fairness"]
    # inside the window the busy technician won all 21,600 of the region's pay: 100 %
    assert fairness["value"] == (100.0 if first == "busy" else 0.0)


async def test_recent_earnings_count_only_the_window(
    factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    busy, idle, order_id = await _busy_and_idle(factory, session_factory)
    async with session_factory() as s:
        region = (await s.get(WorkOrder, order_id)).region  # type: ignore[union-attr]
        earned = await recent_earnings(s, region, now=utcnow())
    assert earned == {busy.technician_id: 21_600}
    assert shares({busy.technician_id: 300, idle.technician_id: 100}) == {
        busy.technician_id: 0.75,
        idle.technician_id: 0.25,
    }
    assert shares({}) == {}
