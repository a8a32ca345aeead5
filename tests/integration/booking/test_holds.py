"""Unbooked P3/P4 orders: a window is held, then confirmed unless the customer picks another."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.assignment.config import DispatchConfig
from marketplace.bookings.models import Appointment
from marketplace.clock import utcnow
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory, Login
from tests.integration.booking.helpers import add_technician, customer_login, escalate, seed_catalog, tomorrow
from tests.integration.money.helpers import run_tasks
from workers.context import TaskContext
from workers.tasks._uow import CONFIG_KEY
from workers.tasks.holds import hold_unbooked

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)


@pytest.fixture(autouse=True)
async def settle(client: AsyncTestClient) -> AsyncIterator[None]:
    """Let the app's in-process tasks finish before the next test empties the tables."""
    yield
    await client.app.state.queue.drain()


SF = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
async def catalog(session_factory: SF) -> None:
    await seed_catalog(session_factory)


def worker(settings: Settings, engine: AsyncEngine, sf: SF, **policy: Any) -> TaskContext:
    ctx = TaskContext(settings=settings, engine=engine, session_factory=sf, queue=None)
    ctx.extras[CONFIG_KEY] = DispatchConfig(**{"hold_after_s": {"standard:4": 0}, **policy})
    return ctx


async def unbooked_p4(
    client: AsyncTestClient, factory: Factory, sf: SF, settings: Settings, ticket: str
) -> tuple[str, Login]:
    customer = await customer_login(sf, settings, external_id=f"cust-{ticket}")
    card = await client.put(
        "/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer.headers
    )
    assert card.status_code == 200, card.text
    agent = await factory.login(Role.AGENT)
    r = await escalate(client, agent, ticket, f"cust-{ticket}", priority=4)
    assert r.status_code == 201, r.text
    assert r.json()["work_order"]["status"] == "triaged"
    return r.json()["work_order"]["id"], customer


async def live(sf: SF, order_id: str) -> list[Appointment]:
    async with sf() as s:
        query = select(Appointment).where(
            Appointment.work_order_id == uuid.UUID(order_id), Appointment.status == "booked"
        )
        return list((await s.execute(query)).scalars())


async def templates(client: AsyncTestClient, customer: Login) -> list[str]:
    page = await client.get("/messages", headers=customer.headers)
    assert page.status_code == 200, page.text
    return [m["template"] for m in page.json()["items"]]


async def test_unbooked_order_gets_a_held_window_confirmed_automatically(
    client: AsyncTestClient, factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    order_id, customer = await unbooked_p4(client, factory, session_factory, settings, "H-1")
    untouched = worker(settings, engine, session_factory, hold_after_s={"standard:4": 86_400})
    assert (await hold_unbooked(untouched)).held == 0  # not yet due under the policy

    ctx = worker(settings, engine, session_factory, hold_confirm_after_s=0, hold_confirm_lead_s=0)
    first = await hold_unbooked(ctx)
    assert (first.held, first.confirmed) == (1, 0)
    got = (await client.get(f"/work-orders/{order_id}", headers=customer.headers)).json()
    assert got["status"] == "triaged"
    held = got["appointment"]
    assert held is not None and held["held_until"] is not None and held["technician_id"] is not None
    assert tomorrow(8) <= datetime.fromisoformat(held["window_start"])
    assert any(e["kind"] == "slot_held" for e in got["events"])
    assert "slot_held" in await templates(client, customer)

    second = await hold_unbooked(ctx)
    assert (second.held, second.confirmed) == (0, 1)
    again = await hold_unbooked(ctx)
    assert (again.held, again.confirmed) == (0, 0)  # safe to run again
    await run_tasks(ctx)  # the worker's own tasks: authorisation, messages
    got = (await client.get(f"/work-orders/{order_id}", headers=customer.headers)).json()
    assert got["status"] == "scheduled"
    assert got["appointment"]["id"] == held["id"] and got["appointment"]["held_until"] is None
    payment = await client.get(f"/work-orders/{order_id}/payment", headers=customer.headers)
    assert payment.status_code == 200 and payment.json()["status"] == "authorized", payment.text
    assert "booking_confirmation" in await templates(client, customer)


async def test_customer_picks_another_window_instead_of_the_held_one(
    client: AsyncTestClient, factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    order_id, customer = await unbooked_p4(client, factory, session_factory, settings, "H-2")
    assert (await hold_unbooked(worker(settings, engine, session_factory))).held == 1
    [held] = await live(session_factory, order_id)
    later = {"window_start": tomorrow(15).isoformat(), "window_end": tomorrow(17).isoformat()}
    booked = await client.post(f"/work-orders/{order_id}/appointment", json=later, headers=customer.headers)
    assert booked.status_code == 201, booked.text
    assert booked.json()["work_order_status"] == "scheduled"
    [mine] = await live(session_factory, order_id)
    assert mine.id != held.id and mine.hold_confirm_at is None and mine.window_start == tomorrow(15)
    async with session_factory() as s:
        old = await s.get(Appointment, held.id)
        assert old is not None and old.status == "cancelled" and old.replaced_by_id == mine.id

    due_now = worker(settings, engine, session_factory, hold_confirm_after_s=0, hold_confirm_lead_s=0)
    sweep = await hold_unbooked(due_now)
    assert (sweep.held, sweep.confirmed) == (0, 0)
    [still] = await live(session_factory, order_id)
    assert still.id == mine.id


async def test_customer_booking_and_the_worker_at_the_same_moment_leave_one_booking(
    client: AsyncTestClient, factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))], name="Second")
    orders = [await unbooked_p4(client, factory, session_factory, settings, f"H-R{i}") for i in range(4)]
    ctx = worker(settings, engine, session_factory)
    windows = [tomorrow(10 + 2 * (i % 3)) for i in range(len(orders))]

    async def book(i: int) -> Any:
        order_id, customer = orders[i]
        body = {
            "window_start": windows[i].isoformat(),
            "window_end": windows[i].replace(hour=windows[i].hour + 2).isoformat(),
        }
        return await client.post(f"/work-orders/{order_id}/appointment", json=body, headers=customer.headers)

    results = await asyncio.gather(hold_unbooked(ctx), *(book(i) for i in range(len(orders))))
    for (order_id, _customer), response in zip(orders, results[1:], strict=True):
        assert response.status_code in (201, 409), response.text
        rows = await live(session_factory, order_id)
        assert len(rows) == 1, rows
        if response.status_code == 201:  # the customer's own window, never left as a hold
            assert rows[0].hold_confirm_at is None
            assert rows[0].id == uuid.UUID(response.json()["appointment"]["id"])
    await hold_unbooked(ctx)
    for order_id, _customer in orders:
        assert len(await live(session_factory, order_id)) == 1


async def test_cancelling_a_held_window_is_free_and_nothing_is_confirmed(
    client: AsyncTestClient, factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings
) -> None:
    # the held window opens within 24 h: a window the customer booked would cost a fee
    soon = utcnow().replace(microsecond=0)
    await add_technician(session_factory, shifts=[(soon, soon + timedelta(hours=12))])
    order_id, customer = await unbooked_p4(client, factory, session_factory, settings, "H-3")
    assert (await hold_unbooked(worker(settings, engine, session_factory))).held == 1
    [held] = await live(session_factory, order_id)
    assert held.window_start < soon + timedelta(hours=24)
    cancelled = await client.post(
        f"/work-orders/{order_id}/appointment/cancel",
        json={"reason": "fixed it myself"},
        headers=customer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancellation_fee"]["amount"] == 0
    assert cancelled.json()["work_order_status"] == "cancelled"
    due_now = worker(settings, engine, session_factory, hold_confirm_after_s=0, hold_confirm_lead_s=0)
    assert (await hold_unbooked(due_now)).confirmed == 0
    assert await live(session_factory, order_id) == []
