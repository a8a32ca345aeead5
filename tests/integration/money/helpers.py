"""Rows and task runs for money tests (the booking/visit flows are exercised elsewhere)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from marketplace.bookings.models import Appointment
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.outbox import OutboxStatus, OutboxTask
from marketplace.payments.models import BillingProfile
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrderStatus
from tests.factories import Factory, Login, catalog, work_orders
from workers.context import TaskContext
from workers.runner import RunOutcome, execute_task


@dataclass
class Booked:
    customer: Login
    technician: Login
    order_id: uuid.UUID
    appointment_id: uuid.UUID

    @property
    def customer_id(self) -> uuid.UUID:
        assert self.customer.user.customer_id is not None
        return self.customer.user.customer_id

    @property
    def technician_id(self) -> uuid.UUID:
        assert self.technician.user.technician_id is not None
        return self.technician.user.technician_id


async def booked_order(
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    payment_method: str | None = "pm_card_visa",
    base_price_minor: int = 12_000,
    duration_s: int = 3600,
    priority: int = 3,
) -> Booked:
    """A customer with a card, a technician, and a scheduled work order with a booked window."""
    customer = await factory.login(Role.CUSTOMER)
    technician = await factory.login(Role.TECHNICIAN)
    now = utcnow()
    async with unit_of_work(session_factory) as session:
        await catalog.category(
            session, "hvac.repair", now=now, base_price_minor=base_price_minor, skills=(("hvac.repair", 1),)
        )
        assert customer.user.customer_id is not None
        if payment_method:
            session.add(
                BillingProfile(customer_id=customer.user.customer_id, default_payment_method=payment_method)
            )
        order = await work_orders.escalated(
            session, customer.user.customer_id, now=now, duration_s=duration_s, priority=priority
        )
        await work_orders.advance(session, order, WorkOrderStatus.SCHEDULED, now=now)
        order.technician_id = technician.user.technician_id
        await session.flush()
        start = now + timedelta(days=2)
        appointment = Appointment(
            work_order_id=order.id,
            customer_id=customer.user.customer_id,
            window_start=start,
            window_end=start + timedelta(hours=2),
            technician_id=technician.user.technician_id,
        )
        session.add(appointment)
        await session.flush()
    # the escalation's own messages (the customer's booking link, the notices) go out first,
    # so a test sees only the tasks its money steps cause
    drained = TaskContext(
        settings=factory.settings, engine=session_factory.kw["bind"], session_factory=session_factory
    )
    await run_tasks(drained)
    return Booked(customer, technician, order.id, appointment.id)


async def pending_tasks(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    name: str | None = None,
    due_by: datetime | None = None,
    include_pushed: bool = False,
) -> list[OutboxTask]:
    statuses = [OutboxStatus.PENDING, OutboxStatus.PUSHED] if include_pushed else [OutboxStatus.PENDING]
    async with session_factory() as session:
        query = select(OutboxTask).where(col(OutboxTask.status).in_(statuses))
        if name is not None:
            query = query.where(OutboxTask.name == name)
        if due_by is not None:
            query = query.where(col(OutboxTask.available_at) <= due_by)
        return list((await session.execute(query.order_by(col(OutboxTask.created_at)))).scalars())


async def run_tasks(
    ctx: TaskContext, *, name: str | None = None, due_by: datetime | None = None, include_pushed: bool = False
) -> list[str]:
    """Run due outbox tasks (and the tasks they enqueue) to completion, like a worker would."""
    ran: list[str] = []
    for _ in range(20):
        rows = await pending_tasks(
            ctx.session_factory, name=name, due_by=due_by or utcnow(), include_pushed=include_pushed
        )
        if not rows:
            return ran
        for row in rows:
            if await execute_task(ctx, row.id) == RunOutcome.DONE:
                ran.append(row.name)
    raise AssertionError(f"tasks keep coming: {ran}")


async def run_handler(ctx: TaskContext, name: str, args: dict[str, Any]) -> None:
    """Run a task handler once more in its own transaction (a second delivery of the same work)."""
    from workers.registry import handler_for

    async with unit_of_work(ctx.session_factory) as session:
        await handler_for(name)(session, ctx, now=utcnow(), **args)


async def count_outbox(session_factory: async_sessionmaker[AsyncSession], name: str) -> int:
    async with session_factory() as session:
        return int(
            await session.scalar(
                select(sa.func.count()).select_from(OutboxTask).where(OutboxTask.name == name)
            )
            or 0
        )


async def server_counts(base: str) -> dict[str, int]:
    async with httpx.AsyncClient() as http:
        data = (await http.get(f"{base}/_config/fieldhand/counts")).json()
    return dict(data["objects"])


async def complete_onboarding(base: str, account_id: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base}/_config/fieldhand/accounts/{account_id}/complete_onboarding")
        response.raise_for_status()


async def webhook_deliveries(base: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        return list((await http.get(f"{base}/_config/fieldhand/webhooks")).json())
