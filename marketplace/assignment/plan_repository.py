"""Queries of dispatching's sweeps (re-planning, urgent orders, reminders, SLA) and of the
console's plans, board and queue.

Plans and boards read orders with `PLAN_VIEW`: the order's JSON columns stay unloaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col, select

from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer, OfferStatus
from marketplace.technicians.models import Shift, Technician, TechnicianStatus
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent, WorkOrderStatus

S = WorkOrderStatus
# What plans and boards never read of an order: its JSON columns (support context, skill
# needs), which cost a JSON decode each. Deferred with raiseload, so a reader that starts
# needing one fails loudly instead of loading it row by row.
JSON_COLUMNS: tuple[Any, ...] = (
    WorkOrder.context,
    WorkOrder.required_skills,
    WorkOrder.required_certifications,
)
PLAN_VIEW = tuple(defer(column, raiseload=True) for column in JSON_COLUMNS)
# urgent orders an offer cascade can still act on; `scheduled` with no booked window is an
# order taken back from a technician (released)
URGENT_STEPPABLE = (S.TRIAGED, S.SCHEDULED, S.OFFERED)


# --------------------------------------------------------------------- sweeps


async def regions_with_orders_in(session: AsyncSession, statuses: Sequence[WorkOrderStatus]) -> list[str]:
    """Every region with an order in `statuses`, by name."""
    rows = await session.execute(
        select(WorkOrder.region)
        .where(col(WorkOrder.status).in_(statuses))
        .distinct()
        .order_by(col(WorkOrder.region))
    )
    return list(rows.scalars())


async def urgent_orders_nobody_is_asked(
    session: AsyncSession, *, max_priority: int, limit: int
) -> list[tuple[uuid.UUID, int]]:
    """Orders of priority `max_priority` or more urgent, in a status the cascade acts on, with
    no technician, no booked appointment and no pending or accepted offer, with how many
    offers each has had: most urgent first, then oldest."""
    open_offer = (
        select(Offer.id)
        .where(
            Offer.work_order_id == WorkOrder.id,
            col(Offer.status).in_([OfferStatus.PENDING, OfferStatus.ACCEPTED]),
        )
        .exists()
    )
    booked = (
        select(Appointment.id)
        .where(Appointment.work_order_id == WorkOrder.id, Appointment.status == AppointmentStatus.BOOKED)
        .exists()
    )
    offer_count = (
        select(sa.func.count(col(Offer.id))).where(Offer.work_order_id == WorkOrder.id).scalar_subquery()
    )
    rows = await session.execute(
        select(WorkOrder.id, offer_count)
        .where(
            WorkOrder.priority <= max_priority,
            col(WorkOrder.status).in_(URGENT_STEPPABLE),
            col(WorkOrder.technician_id).is_(None),
            ~open_offer,
            ~booked,
        )
        .order_by(col(WorkOrder.priority), col(WorkOrder.created_at))
        .limit(limit)
    )
    return [(order_id, int(count)) for order_id, count in rows.all()]


async def transitions_since(
    session: AsyncSession, since: datetime, to_statuses: Sequence[WorkOrderStatus]
) -> list[tuple[WorkOrderEvent, WorkOrder]]:
    """Transitions into `to_statuses` at or after `since`, each with its order."""
    rows = await session.execute(
        select(WorkOrderEvent, WorkOrder)
        .join(WorkOrder, col(WorkOrder.id) == col(WorkOrderEvent.work_order_id))
        .where(
            WorkOrderEvent.kind == "transition",
            col(WorkOrderEvent.at) >= since,
            col(WorkOrderEvent.to_status).in_(to_statuses),
        )
    )
    return [(event, order) for event, order in rows.all()]


async def last_appointment_technician(session: AsyncSession, order_id: uuid.UUID) -> uuid.UUID | None:
    """The technician of the order's most recent appointment, in any status (None: nobody)."""
    return (
        await session.execute(
            select(Appointment.technician_id)
            .where(Appointment.work_order_id == order_id)
            .order_by(col(Appointment.created_at).desc())
            .limit(1)
        )
    ).scalar()


async def orders_in_status(session: AsyncSession, status: WorkOrderStatus) -> list[WorkOrder]:
    """Every order in `status`, in any region."""
    return list((await session.execute(select(WorkOrder).where(WorkOrder.status == status))).scalars())


async def technicians_quiet_with_visits(
    session: AsyncSession, *, quiet_before: datetime, order_statuses: Sequence[WorkOrderStatus]
) -> list[tuple[uuid.UUID, datetime]]:
    """Technicians last located before `quiet_before` who hold an order in `order_statuses`,
    once each, with when they were last located."""
    rows = await session.execute(
        select(Technician.id, Technician.last_located_at)
        .join(WorkOrder, col(WorkOrder.technician_id) == col(Technician.id))
        .where(
            col(WorkOrder.status).in_(order_statuses),
            col(Technician.last_located_at).is_not(None),
            col(Technician.last_located_at) < quiet_before,
        )
        .distinct()
    )
    return [(tech_id, last) for tech_id, last in rows.all() if last is not None]


async def booked_windows_starting(
    session: AsyncSession, *, after: datetime, until: datetime, order_statuses: Sequence[WorkOrderStatus]
) -> list[tuple[Appointment, WorkOrder]]:
    """Booked appointments whose window starts after `after` and by `until`, with their
    order, where the order is in `order_statuses`."""
    rows = await session.execute(
        select(Appointment, WorkOrder)
        .join(WorkOrder, col(WorkOrder.id) == col(Appointment.work_order_id))
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.window_start) > after,
            col(Appointment.window_start) <= until,
            col(WorkOrder.status).in_(order_statuses),
        )
    )
    return [(appt, order) for appt, order in rows.all()]


async def en_route_orders(session: AsyncSession) -> list[tuple[WorkOrder, Technician]]:
    """Every order whose technician is on the way, with that technician."""
    rows = await session.execute(
        select(WorkOrder, Technician)
        .join(Technician, col(Technician.id) == col(WorkOrder.technician_id))
        .where(WorkOrder.status == S.EN_ROUTE)
    )
    return [(order, tech) for order, tech in rows.all()]


async def orders_due_by(
    session: AsyncSession, statuses: Sequence[WorkOrderStatus], *, due_by: datetime, limit: int
) -> list[WorkOrder]:
    """Orders in `statuses` with an SLA due at or before `due_by`, soonest due first."""
    rows = await session.execute(
        select(WorkOrder)
        .where(
            col(WorkOrder.status).in_(statuses),
            col(WorkOrder.sla_due_at).is_not(None),
            col(WorkOrder.sla_due_at) <= due_by,
        )
        .order_by(col(WorkOrder.sla_due_at))
        .limit(limit)
    )
    return list(rows.scalars())


# --------------------------------------------------------------------- console


async def active_technicians_by_name(session: AsyncSession, region: str) -> list[Technician]:
    """The region's active technicians, by display name."""
    rows = await session.execute(
        select(Technician)
        .where(Technician.region == region, Technician.status == TechnicianStatus.ACTIVE)
        .order_by(col(Technician.display_name))
    )
    return list(rows.scalars())


async def booked_visits_of(
    session: AsyncSession,
    technician_ids: list[uuid.UUID],
    *,
    ends_after: datetime,
    starts_before: datetime,
    order_statuses: Sequence[WorkOrderStatus],
) -> list[tuple[Appointment, WorkOrder]]:
    """Booked appointments reserved for the technicians whose window overlaps
    `ends_after`..`starts_before`, with their order (`PLAN_VIEW`) in `order_statuses`."""
    rows = await session.execute(
        select(Appointment, WorkOrder)
        .join(WorkOrder, col(WorkOrder.id) == col(Appointment.work_order_id))
        .options(*PLAN_VIEW)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.technician_id).in_(technician_ids),
            col(Appointment.window_end) > ends_after,
            col(Appointment.window_start) < starts_before,
            col(WorkOrder.status).in_(order_statuses),
        )
    )
    return [(appt, order) for appt, order in rows.all()]


async def notifications_of_kinds(
    session: AsyncSession, kinds: list[str], *, limit: int
) -> list[Notification]:
    """The latest `limit` notifications of `kinds`, newest first."""
    rows = await session.execute(
        select(Notification)
        .where(col(Notification.kind).in_(kinds))
        .order_by(col(Notification.created_at).desc(), col(Notification.id))
        .limit(limit)
    )
    return list(rows.scalars())


async def technician_regions(session: AsyncSession) -> list[str]:
    """Every region a technician belongs to (in any status), by name."""
    rows = await session.execute(select(Technician.region).distinct().order_by(col(Technician.region)))
    return [r for (r,) in rows.all()]


async def shifts_between(
    session: AsyncSession, technician_ids: list[uuid.UUID], *, start: datetime, end: datetime
) -> list[Shift]:
    """The technicians' shifts overlapping `start`..`end`, earliest first."""
    rows = await session.execute(
        select(Shift)
        .where(
            col(Shift.technician_id).in_(technician_ids),
            col(Shift.ends_at) > start,
            col(Shift.starts_at) < end,
        )
        .order_by(col(Shift.starts_at))
    )
    return list(rows.scalars())


async def region_orders_due_first(
    session: AsyncSession, region: str, statuses: Sequence[WorkOrderStatus], *, limit: int
) -> list[WorkOrder]:
    """The region's orders (`PLAN_VIEW`) in `statuses`: soonest SLA due first, orders without
    one last, then oldest."""
    rows = await session.execute(
        select(WorkOrder)
        .options(*PLAN_VIEW)
        .where(WorkOrder.region == region, col(WorkOrder.status).in_(statuses))
        .order_by(col(WorkOrder.sla_due_at).asc().nulls_last(), col(WorkOrder.created_at))
        .limit(limit)
    )
    return list(rows.scalars())
