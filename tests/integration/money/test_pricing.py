"""One price: what is quoted is what is authorised, offered to the technician and paid out."""

from __future__ import annotations

import uuid
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace import events
from marketplace.auth import create_user, issue_token
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.offers.models import Offer
from marketplace.offers.rounds import create_offers_for_work_order
from marketplace.payments.models import BillingProfile, Payment
from marketplace.payouts.models import Payout
from marketplace.settings import Settings
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from tests.factories import Factory
from tests.integration.booking.helpers import (
    add_technician,
    assert_problem,
    customer_login,
    escalate,
    seed_catalog,
    tomorrow,
)
from tests.integration.money.helpers import run_tasks
from workers.context import TaskContext

SF = async_sessionmaker[AsyncSession]


async def _payment(sf: SF, order_id: str) -> Payment:
    async with sf() as s:
        return (
            await s.execute(select(Payment).where(Payment.work_order_id == uuid.UUID(order_id)))
        ).scalar_one()


async def test_escalated_emergency_order_is_authorised_at_its_quote(
    money_client: AsyncTestClient,
    money_app: Litestar,
    money_settings: Settings,
    factory: Factory,
    session_factory: SF,
) -> None:
    await seed_catalog(session_factory)  # hvac-broken: 120.00 for 1 h
    await add_technician(session_factory, shifts=[(tomorrow(6), tomorrow(20))])
    customer = await customer_login(session_factory, money_settings, external_id="cust-P1")
    other = await customer_login(session_factory, money_settings, external_id="cust-other")
    agent = await factory.login(Role.AGENT)
    r = await escalate(money_client, agent, "P1-1", "cust-P1", priority=1, duration_s=5400)
    assert r.status_code == 201, r.text
    order_id = r.json()["work_order"]["id"]
    assert r.json()["work_order"]["price"] == {"amount": 27_000, "currency": "eur"}
    async with session_factory() as s:
        order = await s.get(WorkOrder, uuid.UUID(order_id))
        assert order is not None and order.fee_minor == 4_050  # the platform fee is part of the quote

    quote = await money_client.get(f"/work-orders/{order_id}/quote", headers=customer.headers)
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert q["amount"] == {"amount": 27_000, "currency": "eur"}  # 120.00 x 1.5 h x 1.5 emergency
    assert (q["base"]["amount"], q["duration_adjustment"]["amount"], q["priority_surcharge"]["amount"]) == (
        12_000,
        6_000,
        9_000,
    )
    assert (q["platform_fee"]["amount"], q["technician_pay"]["amount"]) == (4_050, 22_950)
    staff = await money_client.get(f"/work-orders/{order_id}/quote", headers=agent.headers)
    assert staff.status_code == 200 and staff.json() == q
    assert_problem(
        await money_client.get(f"/work-orders/{order_id}/quote", headers=other.headers), 404, "not-found"
    )
    tech = await factory.login(Role.TECHNICIAN)
    assert (await money_client.get(f"/work-orders/{order_id}/quote", headers=tech.headers)).status_code == 403
    assert (await money_client.get(f"/work-orders/{order_id}/quote")).status_code == 401

    start = tomorrow(10)
    booked = await money_client.post(
        f"/work-orders/{order_id}/appointment",
        json={"window_start": start.isoformat(), "window_end": (start + timedelta(hours=2)).isoformat()},
        headers=customer.headers,
    )
    assert booked.status_code == 201, booked.text
    payment = await _payment(session_factory, order_id)
    assert payment.amount_authorized_minor == q["amount"]["amount"] == 27_000
    await money_app.state.queue.drain()  # the emergency's instant dispatch, before the next test


async def test_offer_pay_for_an_order_without_a_category_is_what_earnings_and_payout_pay(
    money_client: AsyncTestClient,
    money_app: Litestar,
    money_settings: Settings,
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
) -> None:
    await seed_catalog(session_factory)
    tech_id = await add_technician(session_factory, shifts=[(tomorrow(6), tomorrow(20))])
    async with unit_of_work(session_factory) as s:
        from marketplace.technicians.models import Technician

        row = await s.get(Technician, tech_id)
        assert row is not None
        row.hourly_rate_minor = 4_500  # what used to be promised when an order had no price
    customer = await customer_login(session_factory, money_settings, external_id="cust-nocat")
    async with unit_of_work(session_factory) as s:
        assert customer.user.customer_id is not None
        s.add(BillingProfile(customer_id=customer.user.customer_id, default_payment_method="pm_card_visa"))
    agent = await factory.login(Role.AGENT)
    r = await escalate(
        money_client,
        agent,
        "NC-1",
        "cust-nocat",
        category=None,
        required_skills=[{"code": "hvac.repair", "min_level": 1}],
    )
    assert r.status_code == 201, r.text
    order_id = r.json()["work_order"]["id"]
    quote = (await money_client.get(f"/work-orders/{order_id}/quote", headers=customer.headers)).json()
    assert quote["amount"]["amount"] == 9_000  # the policy default for an hour
    assert quote["platform_fee"]["amount"] == 1_350  # never 0

    start = tomorrow(10)
    booked = await money_client.post(
        f"/work-orders/{order_id}/appointment",
        json={"window_start": start.isoformat(), "window_end": (start + timedelta(hours=2)).isoformat()},
        headers=customer.headers,
    )
    assert booked.status_code == 201, booked.text
    await money_app.state.queue.drain()  # the authorisation, run by the app's in-process queue
    assert (await _payment(session_factory, order_id)).status == "authorized"
    async with unit_of_work(session_factory) as s:
        result = await create_offers_for_work_order(s, uuid.UUID(order_id), now=start - timedelta(hours=1))
        assert [o.technician_id for o in result.offers] == [tech_id], result
        offered = result.offers[0].earnings_minor
    assert offered == quote["technician_pay"]["amount"] == 7_650

    async with unit_of_work(session_factory) as s:
        order = await s.get(WorkOrder, uuid.UUID(order_id))
        assert order is not None
        order.technician_id = tech_id
        order.status = WorkOrderStatus.COMPLETED  # the visit flow's transition, not under test here
        await events.publish(s, events.VisitCompleted(order, now=utcnow()))
    await run_tasks(task_ctx, name="payments.capture")
    async with session_factory() as s:
        payout = (
            await s.execute(select(Payout).where(Payout.work_order_id == uuid.UUID(order_id)))
        ).scalar_one()
        offer = (
            await s.execute(select(Offer).where(Offer.work_order_id == uuid.UUID(order_id)))
        ).scalar_one()
    assert payout.amount_minor == offer.earnings_minor == offered

    async with unit_of_work(session_factory) as s:
        user = await create_user(
            s,
            email="nocat-tech@example.test",
            password="pw-123456",
            role=Role.TECHNICIAN,
            display_name="Tech",
            technician_id=tech_id,
        )
    headers = {"Authorization": f"Bearer {issue_token(money_settings, user, now=utcnow())}"}
    earnings = await money_client.get("/mobile/v1/earnings", headers=headers)
    assert earnings.status_code == 200, earnings.text
    assert earnings.json()["summary"]["net"] == {"amount": offered, "currency": "eur"}
    assert earnings.json()["items"][0]["fee"] == {"amount": 1_350, "currency": "eur"}
    await money_app.state.queue.drain()
