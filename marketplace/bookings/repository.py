"""Every bookings query, by name: appointments (some shared by bookings, offers, assignment
and visits), and what bookings read of customers, work orders and a region's technicians."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.customers.models import Customer
from marketplace.db import UTCDateTime
from marketplace.technicians.models import RegionPoolVersion, Technician, TechnicianStatus
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus


async def live_appointment(session: AsyncSession, order_id: uuid.UUID) -> Appointment | None:
    """The order's booked (or held) appointment, if any: at most one, by a unique index."""
    query = select(Appointment).where(
        Appointment.work_order_id == order_id, Appointment.status == AppointmentStatus.BOOKED
    )
    return (await session.execute(query)).scalar_one_or_none()


async def appointment(session: AsyncSession, appointment_id: uuid.UUID) -> Appointment | None:
    return await session.get(Appointment, appointment_id)


async def booking_customer(session: AsyncSession, order: WorkOrder) -> Customer | None:
    """The customer who books for the order."""
    return await session.get(Customer, order.customer_id)


async def booked_time(
    session: AsyncSession,
    technician_ids: list[uuid.UUID] | SelectOfScalar[uuid.UUID],
    start: datetime,
    end: datetime,
) -> list[tuple[uuid.UUID, int, int]]:
    """(technician, busy_from, busy_until) of live bookings overlapping [start, end), for the
    given technicians (ids, or a query selecting them)."""
    result = await session.execute(
        select(Appointment.technician_id, Appointment.busy_from, Appointment.busy_until).where(
            col(Appointment.technician_id).in_(technician_ids),
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.busy_from).is_not(None),
            col(Appointment.busy_until) > start,
            col(Appointment.busy_from) < end,
        )
    )
    return [(t, to_epoch(f), to_epoch(u)) for t, f, u in result.all() if t is not None]


async def unbooked_triaged_orders(
    session: AsyncSession, *, urgent_priority: int, created_until: datetime, limit: int
) -> list[tuple[uuid.UUID, int, datetime, str]]:
    """(order, priority, created_at, customer tier) of `triaged` orders less urgent than
    `urgent_priority`, created by `created_until` and without a live appointment, oldest first."""
    booked = (
        select(Appointment.id)
        .where(Appointment.work_order_id == WorkOrder.id, Appointment.status == AppointmentStatus.BOOKED)
        .exists()
    )
    rows = await session.execute(
        select(WorkOrder.id, WorkOrder.priority, WorkOrder.created_at, Customer.tier)
        .join(Customer, col(Customer.id) == col(WorkOrder.customer_id))
        .where(
            WorkOrder.status == WorkOrderStatus.TRIAGED,
            WorkOrder.priority > urgent_priority,
            col(WorkOrder.created_at) <= created_until,
            ~booked,
        )
        .order_by(col(WorkOrder.created_at))
        .limit(limit)
    )
    return [(order_id, priority, created_at, tier) for order_id, priority, created_at, tier in rows.all()]


async def holds_to_confirm(session: AsyncSession, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Live appointments whose hold confirmation time has come, the earliest first."""
    rows = await session.execute(
        select(Appointment.id)
        .where(Appointment.status == AppointmentStatus.BOOKED, col(Appointment.hold_confirm_at) <= now)
        .order_by(col(Appointment.hold_confirm_at))
        .limit(limit)
    )
    return list(rows.scalars())


async def region_pool_label(session: AsyncSession, region: str) -> tuple[int, bool] | None:
    """PostgreSQL only: the region's pool version and whether this very transaction wrote it;
    None when no trigger has written one yet."""
    this_transaction = sa.cast(sa.cast(sa.func.pg_current_xact_id_if_assigned(), sa.Text), sa.BigInteger)
    version = col(RegionPoolVersion.version)
    found = (
        await session.execute(
            sa.select(version, sa.func.coalesce(version == this_transaction, False)).where(
                col(RegionPoolVersion.region) == region
            )
        )
    ).first()
    return None if found is None else (int(found[0]), bool(found[1]))


async def active_technicians_of_region(
    session: AsyncSession, region: str
) -> Sequence[sa.Row[uuid.UUID, float, float, int, int, int]]:
    """(id, home_lat, home_lng, service_radius_m, rating_sum, rating_count) of the region's
    active technicians, by id."""
    return (
        await session.execute(
            sa.select(
                col(Technician.id),
                col(Technician.home_lat),
                col(Technician.home_lng),
                col(Technician.service_radius_m),
                col(Technician.rating_sum),
                col(Technician.rating_count),
            )
            .where(col(Technician.region) == region, col(Technician.status) == TechnicianStatus.ACTIVE)
            .order_by(col(Technician.id))
        )
    ).all()


_MOMENT = (
    sa.select(
        col(Technician.id),
        col(Technician.last_lat),
        col(Technician.last_lng),
        col(Appointment.busy_from),
        col(Appointment.busy_until),
    )
    .select_from(Technician)
    .outerjoin(
        Appointment,
        sa.and_(
            col(Appointment.technician_id) == col(Technician.id),
            col(Appointment.status) == AppointmentStatus.BOOKED,
            col(Appointment.busy_from).is_not(None),
            col(Appointment.busy_until) > sa.bindparam("start", type_=UTCDateTime()),
            col(Appointment.busy_from) < sa.bindparam("end", type_=UTCDateTime()),
        ),
    )
    .where(col(Technician.id).in_(sa.bindparam("ids", expanding=True)))
)  # built once: a slot search runs it on every request


async def moment_of(
    session: AsyncSession, technician_ids: list[uuid.UUID], start: datetime, end: datetime
) -> list[tuple[uuid.UUID, float | None, float | None, int | None, int | None]]:
    """(technician, last_lat, last_lng, busy_from, busy_until) in one query: a row per live
    booking of the technician overlapping [start, end), or one row with no booking."""
    if not technician_ids:
        return []
    result = await session.execute(_MOMENT, {"ids": technician_ids, "start": start, "end": end})
    return [
        (t, lat, lng, None if f is None else to_epoch(f), None if u is None else to_epoch(u))
        for t, lat, lng, f, u in result.all()
    ]
