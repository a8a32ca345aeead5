"""Queries that load a region's day for dispatching, and the single rows a dispatch decision reads.

A day: the region's orders, their live appointments, their customers' tiers, when the
visits in progress arrived on site, which orders someone is being asked about, the
region's active technicians and the time already booked for them. Single rows (an order,
a technician, a customer) come through `session.get`, so a row already in the session
costs no round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.customers.models import Customer
from marketplace.customers.repository import customer as customer
from marketplace.offers.models import Offer, OfferStatus
from marketplace.technicians.models import Technician, TechnicianStatus
from marketplace.visits.models import VisitStep
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent, WorkOrderStatus
from marketplace.work_orders.repository import work_order as work_order


async def try_region_lock(session: AsyncSession, region: str) -> bool:
    """Take the region's dispatch lock for this transaction; False when another transaction
    holds it. Only PostgreSQL has advisory locks: elsewhere the lock is always granted."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return True
    got = await session.execute(
        sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": f"dispatch:{region}"}
    )
    return bool(got.scalar())


async def region_orders(
    session: AsyncSession,
    region: str,
    statuses: Sequence[WorkOrderStatus],
    *,
    technician_ids: Collection[uuid.UUID] | None = None,
) -> list[WorkOrder]:
    """The region's orders in `statuses` (only those of `technician_ids`, when given), oldest first."""
    query = select(WorkOrder).where(WorkOrder.region == region, col(WorkOrder.status).in_(statuses))
    if technician_ids is not None:
        query = query.where(col(WorkOrder.technician_id).in_(technician_ids))
    return list((await session.execute(query.order_by(col(WorkOrder.created_at)))).scalars())


async def live_appointments(
    session: AsyncSession, order_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Appointment]:
    """Each order's booked appointment, by order id (orders without one are left out)."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(Appointment).where(
            col(Appointment.work_order_id).in_(order_ids), Appointment.status == AppointmentStatus.BOOKED
        )
    )
    return {a.work_order_id: a for a in rows.scalars()}


async def orders_with_open_offers(session: AsyncSession, order_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `order_ids` with a pending or accepted offer."""
    if not order_ids:
        return set()
    rows = await session.execute(
        select(Offer.work_order_id).where(
            col(Offer.work_order_id).in_(order_ids),
            col(Offer.status).in_([OfferStatus.PENDING, OfferStatus.ACCEPTED]),
        )
    )
    return set(rows.scalars())


async def customer_tiers(session: AsyncSession, customer_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each customer's tier name, by customer id."""
    if not customer_ids:
        return {}
    rows = await session.execute(select(Customer.id, Customer.tier).where(col(Customer.id).in_(customer_ids)))
    return {cid: tier for cid, tier in rows.all()}


async def on_site_since(session: AsyncSession, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When the technician last arrived on site for each order (orders never on site are left out)."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(VisitStep.work_order_id, VisitStep.at).where(
            col(VisitStep.work_order_id).in_(order_ids), VisitStep.step == "on_site"
        )
    )
    out: dict[uuid.UUID, datetime] = {}
    for order_id, at in rows.all():
        out[order_id] = max(at, out.get(order_id, at))
    return out


async def active_technicians(
    session: AsyncSession, region: str, *, only: Collection[uuid.UUID] | None = None
) -> list[Technician]:
    """The region's active technicians (only those of `only`, when given), by id."""
    query = select(Technician).where(
        Technician.region == region, Technician.status == TechnicianStatus.ACTIVE
    )
    if only is not None:
        query = query.where(col(Technician.id).in_(only))
    return list((await session.execute(query.order_by(col(Technician.id)))).scalars())


async def booked_time_between(
    session: AsyncSession, technician_ids: list[uuid.UUID], *, start: datetime, end: datetime
) -> list[Appointment]:
    """The technicians' booked appointments whose reserved time overlaps `start`..`end`."""
    rows = await session.execute(
        select(Appointment).where(
            col(Appointment.technician_id).in_(technician_ids),
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.busy_from).is_not(None),
            col(Appointment.busy_until) > start,
            col(Appointment.busy_from) < end,
        )
    )
    return list(rows.scalars())


async def offers_of(session: AsyncSession, order_id: uuid.UUID) -> list[Offer]:
    """Every offer ever made of the order, in any status."""
    return list((await session.execute(select(Offer).where(Offer.work_order_id == order_id))).scalars())


async def open_offers_of(session: AsyncSession, order_id: uuid.UUID) -> list[Offer]:
    """The order's accepted and pending offers."""
    rows = await session.execute(
        select(Offer).where(
            Offer.work_order_id == order_id,
            col(Offer.status).in_([OfferStatus.ACCEPTED, OfferStatus.PENDING]),
        )
    )
    return list(rows.scalars())


async def order_event_data(session: AsyncSession, order_id: uuid.UUID, kind: str) -> list[dict[str, Any]]:
    """The data of each of the order's timeline events of `kind`."""
    rows = await session.execute(
        select(WorkOrderEvent.data).where(
            WorkOrderEvent.work_order_id == order_id, WorkOrderEvent.kind == kind
        )
    )
    return list(rows.scalars())
