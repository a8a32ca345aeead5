"""A dispatcher takes a visit back from its technician: it is offered again, to someone else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent
from tests.factories import Factory
from tests.integration.mobile.helpers import offer_round, open_work_order, pending_offers, ready_technician
from tests.integration.money.helpers import run_tasks
from workers.context import TaskContext

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)


@pytest.fixture(autouse=True)
async def settle(client: AsyncTestClient) -> AsyncIterator[None]:
    """Let the app's in-process tasks finish before the next test empties the tables."""
    yield
    await client.app.state.queue.drain()


SF = async_sessionmaker[AsyncSession]


async def test_released_urgent_order_is_offered_again_without_the_released_technician(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: SF,
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    first = await ready_technician(factory)
    second = await ready_technician(factory, lat=52.38, lng=4.91)
    order_id = await open_work_order(session_factory, with_appointment=False)
    async with unit_of_work(session_factory) as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None
        order.priority = 1
        order.sla_due_at = utcnow() + timedelta(hours=6)
    round_one = await offer_round(session_factory, order_id, max_offers=1)
    [offer] = round_one.offers
    by_id = {first.technician_id: first, second.technician_id: second}
    chosen = by_id[offer.technician_id]
    other = second if chosen is first else first
    accepted = await client.post(f"/mobile/v1/offers/{offer.id}/accept", headers=chosen.headers)
    assert accepted.status_code == 200, accepted.text

    dispatcher = await factory.login(Role.DISPATCHER)
    released = await client.post(
        f"/dispatch/work-orders/{order_id}/release",
        json={"reason": "van broke down on the A10"},
        headers=dispatcher.headers,
    )
    assert released.status_code == 200, released.text
    assert released.json()["released"] is True

    ctx = TaskContext(settings=settings, engine=engine, session_factory=session_factory, queue=None)
    await client.app.state.queue.drain()  # the app's in-process queue runs the cascade step
    await run_tasks(ctx)

    assert await pending_offers(client, chosen) == []
    [again] = await pending_offers(client, other)
    assert again["job"]["work_order_id"] == str(order_id)
    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None and order.status == "offered" and order.technician_id is None
        offers = list((await s.execute(select(Offer).where(Offer.work_order_id == order_id))).scalars())
        assert sorted((o.technician_id == chosen.technician_id, o.status) for o in offers) == [
            (False, "pending"),
            (True, "withdrawn"),
        ]
        events = (
            await s.execute(
                select(WorkOrderEvent).where(
                    WorkOrderEvent.work_order_id == order_id, WorkOrderEvent.kind == "released"
                )
            )
        ).scalars()
        [event] = list(events)
        assert event.reason == "van broke down on the A10"
        assert event.data["technician_id"] == str(chosen.technician_id)
        assert event.data["excluded_technician_ids"] == [str(chosen.technician_id)]
    assert isinstance(order_id, uuid.UUID)
