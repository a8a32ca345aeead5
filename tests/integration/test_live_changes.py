"""What a transaction changed is noted for live pages: ORM writes by a flush listener, bulk
writes by the service; reads note nothing; the hub wakes only the pages watching a topic."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.web.live import LiveHub
from marketplace.auth import principal_from_token
from marketplace.clock import utcnow
from marketplace.live import notification_topic, order_topic, take_changes, technician_topic
from marketplace.notifications.service import send_notification
from marketplace.settings import Settings
from marketplace.technicians.location import Ping, record_pings
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.mobile.helpers import open_work_order, ready_technician

SF = async_sessionmaker[AsyncSession]


async def test_writes_note_the_topics_that_live_pages_watch(
    session_factory: SF, factory: Factory, settings: Settings
) -> None:
    order_id = await open_work_order(session_factory)
    tech = await ready_technician(factory)
    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None
        await s.flush()
        assert take_changes(s) == []  # reading notes nothing
        order.summary = "Boiler leaking now too"
        await s.flush()
        assert take_changes(s) == [order_topic(order_id)]
        for _ in range(2):  # the second is a duplicate: not sent, nothing new to see
            await send_notification(s, dedupe_key=f"live-{order_id}", kind="sla.at_risk", subject="At risk")
        assert take_changes(s) == [notification_topic("sla.at_risk")]
        now = utcnow()
        ping = Ping(lat=52.36, lng=4.9, recorded_at=now - timedelta(seconds=5))
        await record_pings(s, principal_from_token(settings, tech.login.token), [ping], now=now)
        assert technician_topic(tech.technician_id) in take_changes(s)
        await s.rollback()


async def test_the_hub_wakes_the_pages_watching_a_topic_and_forgets_them_after() -> None:
    hub = LiveHub(fallback_s=0.05)
    with hub.watching(["order:a", "technician:t"]) as a, hub.watching(["order:b"]) as b:
        hub.deliver(["technician:t", "order:z"])
        assert a.is_set() and not b.is_set()
        assert await hub.wait(a) is True
        assert await hub.wait(b) is False  # only the fallback timeout
    hub.deliver(["order:a"])  # nobody watches any more: nothing to wake, nothing kept
    assert hub._watchers == {}
    await asyncio.sleep(0)
