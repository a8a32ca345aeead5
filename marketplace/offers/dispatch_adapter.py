"""Rows -> `dispatch/` problem types (Unix seconds, metres), for one work order.

The database does the coarse cut (active technicians whose home lies in a bounding box
around the job, sized by the largest service radius we allow); `dispatch` does the rest
(skills, certifications valid at arrival, radius, shifts, travel, scoring).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.problem import Technician as DTechnician
from dispatch.problem import Visit
from marketplace.bookings.availability import subtract
from marketplace.bookings.models import Appointment
from marketplace.customers.models import Customer
from marketplace.dispatch_io.technicians import last_known_position, solver_technician
from marketplace.dispatch_io.visits import order_visit
from marketplace.fairness.recent_work import with_recent_work
from marketplace.offers import repository
from marketplace.technicians.facts import load_technician_facts
from marketplace.technicians.models import Technician
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder

MAX_SERVICE_RADIUS_M = 150_000
DEFAULT_OPEN_WINDOW = timedelta(hours=8)


def visit_window(
    order: WorkOrder, appointment: Appointment | None, now: datetime
) -> tuple[datetime, datetime]:
    """The arrival window: the booked one, else from now until the SLA leaves room for the job."""
    if appointment is not None:
        return appointment.window_start, appointment.window_end
    end = now + DEFAULT_OPEN_WINDOW
    if order.sla_due_at is not None:
        latest_start = order.sla_due_at - timedelta(seconds=order.duration_s)
        if latest_start > now + timedelta(minutes=15):
            end = latest_start
    return now, end


def to_visit(
    order: WorkOrder, appointment: Appointment | None, customer: Customer | None, now: datetime
) -> Visit:
    start, end = visit_window(order, appointment, now)
    return order_visit(
        order, to_epoch(start), max(to_epoch(end), to_epoch(start)), tier=customer.tier if customer else None
    )


async def load_technicians(
    session: AsyncSession,
    order: WorkOrder,
    *,
    now: datetime,
    horizon_end: datetime,
    exclude: set[uuid.UUID] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[DTechnician], dict[str, Technician]]:
    """Active technicians near `order`, as dispatch types, plus the rows by dispatch id."""
    dlat = MAX_SERVICE_RADIUS_M / 111_000
    dlng = MAX_SERVICE_RADIUS_M / (111_000 * max(math.cos(math.radians(order.lat)), 0.01))
    nearby = await repository.active_technicians_homed_in(
        session, lat=(order.lat - dlat, order.lat + dlat), lng=(order.lng - dlng, order.lng + dlng)
    )
    rows = [t for t in nearby if t.id not in exclude]
    if not rows:
        return [], {}
    ids = [t.id for t in rows]
    facts = await load_technician_facts(session, ids, start=now, end=horizon_end)
    skills, certs, shifts, off = facts.skills, facts.certifications, facts.shifts, facts.time_off

    out: list[DTechnician] = []
    by_id: dict[str, Technician] = {}
    for t in rows:
        out.append(
            solver_technician(
                t,
                skills=skills[t.id],
                certifications=certs[t.id],
                free=subtract(shifts[t.id], off[t.id]),
                location=last_known_position(t, now),
            )
        )
        by_id[str(t.id)] = t
    return await with_recent_work(session, order.region, out, now=now), by_id
