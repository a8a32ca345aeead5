"""`make run`'s demo city: the demo customer's boiler is losing pressure, and the periodic
device sweep turns its trend into a proactive visit before it fails."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col, select

from demo.city import DEMO_CUSTOMER, seed_demo_city
from demo.fleet import MODEL
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.devices.models import Device
from marketplace.notifications.models import Notification
from marketplace.settings import Settings
from marketplace.users.models import User
from marketplace.work_orders.models import WorkOrder
from workers.context import TaskContext
from workers.tasks.devices import sweep_devices

ALERT_ORDERS = select(WorkOrder).where(col(WorkOrder.source) == "device_alert")
TOLD = select(Notification).where(col(Notification.kind) == "device.visit_proposed")


async def test_the_demo_boiler_gets_a_proactive_visit_before_it_fails(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, engine: AsyncEngine
) -> None:
    now = utcnow()
    async with unit_of_work(session_factory) as s:
        assert await seed_demo_city(s, technicians=10, customers=2, days=2, now=now, customer_orders=True)
    async with session_factory() as s:
        owner = (await s.execute(select(User).where(col(User.email) == DEMO_CUSTOMER[0]))).scalar_one()
        boiler = (await s.execute(select(Device).where(col(Device.model) == MODEL))).scalar_one()
        assert boiler.customer_id == owner.customer_id and boiler.last_reading_at is not None
        assert (
            await s.execute(select(WorkOrder).where(col(WorkOrder.source) == "device_alert"))
        ).first() is None

    ctx = TaskContext(settings=settings, engine=engine, session_factory=session_factory)
    assert await sweep_devices(ctx) == 1

    async with session_factory() as s:
        orders = list(
            (await s.execute(select(WorkOrder).where(col(WorkOrder.source) == "device_alert"))).scalars()
        )
        told = list(
            (
                await s.execute(select(Notification).where(col(Notification.kind) == "device.visit_proposed"))
            ).scalars()
        )
    assert len(orders) == 1
    order = orders[0]
    assert order.customer_id == owner.customer_id and order.category_code == "boiler_service"
    device = order.context["entries"][0]["device"]
    assert device["rule"] == "trend" and device["device_id"] == str(boiler.id)
    predicted = datetime.fromisoformat(device["predicted_failure_at"])
    # 1.5 bar six hours ago, losing 0.04 bar an hour: 1.0 bar about 6.5 hours from now
    assert now + timedelta(hours=5) < predicted < now + timedelta(hours=8)
    assert order.sla_due_at is not None and abs((order.sla_due_at - predicted).total_seconds()) < 1
    assert order.priority == 2
    assert len(told) == 1 and told[0].recipient_user_id == owner.id and told[0].work_order_id == order.id
    assert "likely to fail" in told[0].body and "pick a time for a visit before then" in told[0].body
