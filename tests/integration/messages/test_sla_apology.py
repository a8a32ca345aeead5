"""An order that will miss its SLA: the agent is alerted and the customer gets an apology
with the honest new time on their own clock, once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.assignment.config import DispatchConfig
from marketplace.assignment.sla import check_sla
from marketplace.bookings.models import Appointment
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.db import unit_of_work
from marketplace.messages.models import Message
from marketplace.work_orders.models import WorkOrder
from tests.integration.mobile.helpers import open_work_order

SF = async_sessionmaker[AsyncSession]


async def test_sla_risk_sends_the_customer_an_apology_with_the_new_time(session_factory: SF) -> None:
    now = utcnow().replace(microsecond=0)
    order_id = await open_work_order(session_factory)
    eta = now + timedelta(hours=3)
    async with unit_of_work(session_factory) as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None
        order.status, order.sla_due_at = "scheduled", now + timedelta(hours=2)
        customer = await s.get(Customer, order.customer_id)
        assert customer is not None
        customer.email, customer.timezone = "late@example.test", "Europe/Amsterdam"
        [appointment] = (
            await s.execute(select(Appointment).where(Appointment.work_order_id == order_id))
        ).scalars()
        appointment.eta = eta

    for _ in range(2):  # the monitor runs every minute
        async with unit_of_work(session_factory) as s:
            sweep = await check_sla(s, now=now, config=DispatchConfig())
        assert sweep.at_risk == [str(order_id)]

    async with session_factory() as s:
        told = list(
            (await s.execute(select(Message).where(Message.template == "sla_risk_apology"))).scalars()
        )
    assert sorted(m.channel for m in told) == ["email", "inbox"]
    local = eta.astimezone(ZoneInfo("Europe/Amsterdam"))
    inbox = next(m for m in told if m.channel == "inbox")
    assert inbox.subject == f"Sorry: your visit will be later than promised, new time {local:%H:%M}"
    assert f"at {local:%H:%M} (Europe/Amsterdam)" in inbox.body
