"""Every visit query, by name: the steps a technician recorded, and what a visit reads of
work orders, offers, appointments, technicians, customers and their logins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.bookings.repository import live_appointment
from marketplace.customers.repository import customer as customer
from marketplace.offers.models import Offer, OfferStatus
from marketplace.pagination import Page, page_of
from marketplace.users.models import User
from marketplace.visits.models import VisitStep, VisitStepKind
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent, WorkOrderStatus
from marketplace.work_orders.repository import work_order as work_order


def _accepted_offer(order_id: uuid.UUID, technician_id: uuid.UUID | None) -> tuple[Any, ...]:
    """Conditions for the technician's accepted offer of the order."""
    return (
        Offer.work_order_id == order_id,
        Offer.technician_id == technician_id,
        Offer.status == OfferStatus.ACCEPTED,
    )


async def accepted_offer_id(
    session: AsyncSession, order_id: uuid.UUID, technician_id: uuid.UUID
) -> uuid.UUID | None:
    """The id of the offer of the order the technician accepted, if the visit came from one."""
    return (await session.execute(select(Offer.id).where(*_accepted_offer(order_id, technician_id)))).scalar()


async def accepted_offer_start(
    session: AsyncSession, order_id: uuid.UUID, technician_id: uuid.UUID | None
) -> datetime | None:
    """Where the window of the technician's accepted offer of the order opens."""
    query = select(Offer.window_start).where(*_accepted_offer(order_id, technician_id))
    return (await session.execute(query)).scalars().first()


async def visit_appointment(session: AsyncSession, order_id: uuid.UUID) -> Appointment | None:
    """The order's live appointment, else its most recent one (cancelled or done)."""
    live = await live_appointment(session, order_id)
    if live is not None:
        return live
    return (
        await session.execute(
            select(Appointment)
            .where(Appointment.work_order_id == order_id)
            .order_by(col(Appointment.created_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def steps(session: AsyncSession, assignment_key: str) -> list[VisitStep]:
    """The steps recorded for one assignment, in the order they happened."""
    query = (
        select(VisitStep)
        .where(VisitStep.assignment_key == assignment_key)
        .order_by(col(VisitStep.at), col(VisitStep.id))
    )
    return list((await session.execute(query)).scalars())


async def step(session: AsyncSession, assignment_key: str, kind: VisitStepKind) -> VisitStep | None:
    """The assignment's step of this kind, if it was recorded (at most one, by a unique key)."""
    query = select(VisitStep).where(VisitStep.assignment_key == assignment_key, VisitStep.step == kind.value)
    return (await session.execute(query)).scalar_one_or_none()


async def customer_user_id(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID | None:
    """One login of the customer, to address visit notices to (None when they have none)."""
    return (await session.execute(select(User.id).where(User.customer_id == customer_id).limit(1))).scalar()


async def status_reached_at(
    session: AsyncSession, order_id: uuid.UUID, status: WorkOrderStatus
) -> datetime | None:
    """When the order last moved to `status`, from its event log."""
    query = (
        select(WorkOrderEvent.at)
        .where(WorkOrderEvent.work_order_id == order_id, WorkOrderEvent.to_status == status.value)
        .order_by(col(WorkOrderEvent.at).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def orders_en_route(session: AsyncSession, technician_id: uuid.UUID) -> list[WorkOrder]:
    """The technician's work orders they are on the way to."""
    query = select(WorkOrder).where(
        WorkOrder.technician_id == technician_id, WorkOrder.status == WorkOrderStatus.EN_ROUTE
    )
    return list((await session.execute(query)).scalars())


async def set_booked_eta(session: AsyncSession, order_id: uuid.UUID, eta: datetime) -> None:
    """Move the ETA of the order's booked appointment (if it has one)."""
    await session.execute(
        sa.update(Appointment)
        .where(
            col(Appointment.work_order_id) == order_id,
            col(Appointment.status) == AppointmentStatus.BOOKED,
        )
        .values(eta=eta)
    )


async def technician_visits(
    session: AsyncSession,
    technician_id: uuid.UUID,
    *,
    statuses: Sequence[WorkOrderStatus] | None,
    cursor: str | None,
    limit: int,
) -> Page[WorkOrder]:
    """One page of the technician's work orders (only those in `statuses`, when given),
    newest first."""
    query = select(WorkOrder).where(WorkOrder.technician_id == technician_id)
    if statuses is not None:
        query = query.where(col(WorkOrder.status).in_([s.value for s in statuses]))
    return await page_of(session, query, WorkOrder, cursor=cursor, limit=limit)
