"""Work orders -> `dispatch.problem` visits, and booked time, for slots, bookings and ETAs.

A technician's availability handed to dispatch (`region_pool`) is their shifts minus time
off minus the time their live bookings reserve ([busy_from, busy_until): leaving for the
job until it is done). Each free stretch becomes one `Technician.shifts` window, so the
dispatch feasibility check (skills, certifications, radius, travel, arrival inside the
window, job finished before the stretch ends) answers "can anyone still take this?".

Travel between two bookings is modelled as from home (dispatch's rule for a later
shift): a stretch that starts right after a booking starts at home. That is an
approximation; the reserved `busy_from` already covers the trip *to* each booking.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from dispatch.problem import Visit
from marketplace.bookings.availability import Interval
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.dispatch_io.visits import order_visit
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder


def visit_for(order: WorkOrder, window: Interval, *, tier: str) -> Visit:
    return order_visit(order, window[0], window[1], tier=tier)


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
