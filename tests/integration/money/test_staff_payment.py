"""Staff read any work order's payment; technicians and other customers do not."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace import events
from marketplace.bookings.models import Appointment
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.money.helpers import booked_order, run_tasks
from workers.context import TaskContext

pytestmark = pytest.mark.clock

SF = async_sessionmaker[AsyncSession]


async def test_staff_read_payment_status_and_amounts(
    factory: Factory, session_factory: SF, task_ctx: TaskContext, money_client: AsyncTestClient
) -> None:
    booked = await booked_order(factory, session_factory)
    async with unit_of_work(session_factory) as session:
        order = await session.get(WorkOrder, booked.order_id)
        appointment = await session.get(Appointment, booked.appointment_id)
        assert order is not None and appointment is not None
        await events.publish(session, events.AppointmentBooked(order, appointment, now=utcnow()))
    await run_tasks(task_ctx)

    url = f"/work-orders/{booked.order_id}/payment"
    for role in (Role.AGENT, Role.DISPATCHER, Role.ADMIN):
        staff = await factory.login(role)
        response = await money_client.get(url, headers=staff.headers)
        assert response.status_code == 200, (role, response.text)
        body = response.json()
        assert body["status"] == "authorized"
        assert body["authorized"] == {"amount": 12_000, "currency": "eur"}
        assert body["captured"] == {"amount": 0, "currency": "eur"}
        assert body["refunded"] == {"amount": 0, "currency": "eur"}

    assert (await money_client.get(url, headers=booked.customer.headers)).status_code == 200
    assert (await money_client.get(url, headers=booked.technician.headers)).status_code == 403
    stranger = await factory.login(Role.CUSTOMER)
    assert (await money_client.get(url, headers=stranger.headers)).status_code == 404
