"""The messages real flows send: a job offer to the technician, "technician assigned" and
"on the way, ETA hh:mm" (the customer's clock) to the customer, read from the SMTP server."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.assignment.config import DispatchConfig
from marketplace.assignment.reminders import send_reminders
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.db import unit_of_work
from marketplace.messages.channels import build_channels
from marketplace.messages.models import Message
from marketplace.settings import Settings
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.mobile.helpers import offer_round, open_work_order, pending_offers, ready_technician
from tests.integration.money.helpers import run_tasks
from tests.mailbox import Mailbox
from workers.context import TaskContext
from workers.tasks.messages import CHANNELS_KEY

SF = async_sessionmaker[AsyncSession]
M = "/mobile/v1"


async def test_offer_accept_and_on_the_way_reach_both_sides(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: SF,
    engine: AsyncEngine,
    settings: Settings,
    app_mailbox: Mailbox,
) -> None:
    tech = await ready_technician(factory)
    order_id = await open_work_order(session_factory)
    async with unit_of_work(session_factory) as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None
        customer = await s.get(Customer, order.customer_id)
        assert customer is not None
        customer.email, customer.timezone, customer.phone = "ada@example.test", "Asia/Tokyo", "+31600000001"
    await offer_round(session_factory, order_id)
    # the offer round ran outside a request: a worker of our own runs what it enqueued
    worker = TaskContext(settings=settings, engine=engine, session_factory=session_factory)
    worker.extras[CHANNELS_KEY] = build_channels(app_mailbox.config())
    assert "messages.deliver" in await run_tasks(worker)

    [offer] = await pending_offers(client, tech)
    inbox = (await client.get(f"{M}/messages", headers=tech.headers)).json()["items"]
    assert [i["template"] for i in inbox] == ["offer_notice"]
    assert inbox[0]["subject"] == "New job offer: Boiler shows E119, no heating"

    accepted = await client.post(f"{M}/offers/{offer['id']}/accept", headers=tech.headers)
    assert accepted.status_code == 200, accepted.text
    en_route = await client.post(
        f"{M}/visits/{order_id}/status", json={"status": "en_route"}, headers=tech.headers
    )
    assert en_route.status_code == 200, en_route.text
    eta = en_route.json()["eta"]
    await client.app.state.queue.drain()

    offer_mail = app_mailbox.wait_for(tech.login.user.email)
    assert [m.subject for m in offer_mail] == ["New job offer: Boiler shows E119, no heating"]
    mails = app_mailbox.wait_for("ada@example.test", count=2)
    subjects = [m.subject for m in mails]
    assert any(s.startswith("Test Tech will do your visit") for s in subjects), subjects
    local = datetime.fromisoformat(eta.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"Your technician is on the way, ETA {local:%H:%M}" in subjects
    async with session_factory() as s:
        sms = list((await s.execute(select(Message).where(Message.channel == "sms"))).scalars())
    # the on-the-way text also went out by the (development) SMS provider
    assert [(m.template, m.status, m.delivered_via) for m in sms] == [
        ("technician_on_the_way", "sent", "dev-sms")
    ]

    # the reminder sweep's own on-the-way notice does not tell the customer a second time
    async with unit_of_work(session_factory) as s:
        sweep = await send_reminders(s, now=utcnow(), config=DispatchConfig())
    assert sweep.on_the_way == 1  # its notification is new ...
    async with session_factory() as s:
        told = (await s.execute(select(Message).where(Message.template == "technician_on_the_way"))).scalars()
        assert sorted(m.channel for m in told) == ["email", "inbox", "sms"]  # ... the message is not
