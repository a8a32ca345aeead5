"""Rows -> `dispatch/` problem types (Unix seconds, metres), for one work order.

The database does the coarse cut (active technicians whose home lies in a bounding box
around the job, sized by the largest service radius we allow); `dispatch` does the rest
(skills, certifications valid at arrival, radius, shifts, travel, scoring).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from dispatch.problem import GeoPoint, TimeWindow, Visit
from dispatch.problem import Technician as DTechnician
from marketplace.bookings.models import Appointment
from marketplace.customers.models import Customer
from marketplace.dispatch_io.visits import order_visit
from marketplace.fairness.recent_work import with_recent_work
from marketplace.technicians.facts import load_technician_facts
from marketplace.technicians.models import (
    Technician,
    TechnicianStatus,
)
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder

MAX_SERVICE_RADIUS_M = 150_000
LOCATION_FRESH_FOR = timedelta(minutes=30)
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


def _subtract(windows: list[tuple[int, int]], holes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out = windows
    for h_start, h_end in holes:
        nxt: list[tuple[int, int]] = []
        for s, e in out:
            if h_end <= s or h_start >= e:
                nxt.append((s, e))
                continue
            if s < h_start:
                nxt.append((s, h_start))
            if h_end < e:
                nxt.append((h_end, e))
        out = nxt
    return sorted(out)


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
    rows = [
        t
        for t in (
            await session.execute(
                select(Technician).where(
                    Technician.status == TechnicianStatus.ACTIVE,
                    col(Technician.home_lat).between(order.lat - dlat, order.lat + dlat),
                    col(Technician.home_lng).between(order.lng - dlng, order.lng + dlng),
                )
            )
        ).scalars()
        if t.id not in exclude
    ]
    if not rows:
        return [], {}
    ids = [t.id for t in rows]
    facts = await load_technician_facts(session, ids, start=now, end=horizon_end)
    skills, certs, shifts, off = facts.skills, facts.certifications, facts.shifts, facts.time_off

    out: list[DTechnician] = []
    by_id: dict[str, Technician] = {}
    for t in rows:
        windows = _subtract(sorted(shifts[t.id]), off[t.id])
        location = None
        if (
            t.last_lat is not None
            and t.last_lng is not None
            and t.last_located_at is not None
            and t.last_located_at >= now - LOCATION_FRESH_FOR
        ):
            location = GeoPoint(t.last_lat, t.last_lng)
        out.append(
            DTechnician(
                id=str(t.id),
                home=GeoPoint(t.home_lat, t.home_lng),
                skills=tuple(sorted(skills[t.id])),
                certifications=tuple(certs[t.id]),
                shifts=tuple(TimeWindow(s, e) for s, e in windows),
                service_radius_m=t.service_radius_m,
                location=location,
                rating_sum=float(t.rating_sum),
                rating_count=t.rating_count,
            )
        )
        by_id[str(t.id)] = t
    return await with_recent_work(session, order.region, out, now=now), by_id
