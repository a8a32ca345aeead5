"""Database rows -> `dispatch.problem` types, for slots, bookings and ETAs (read-only).

A technician's availability handed to dispatch is their shifts minus time off minus the
time their live bookings reserve ([busy_from, busy_until): leaving for the job until it
is done). Each free stretch becomes one `Technician.shifts` window, so the dispatch
feasibility check (skills, certifications, radius, travel, arrival inside the window,
job finished before the stretch ends) answers "can anyone still take this?".

Travel between two bookings is modelled as from home (dispatch's rule for a later
shift): a stretch that starts right after a booking starts at home. That is an
approximation; the reserved `busy_from` already covers the trip *to* each booking.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from dispatch.problem import (
    Certification as DCertification,
)
from dispatch.problem import (
    GeoPoint,
    Technician,
    TimeWindow,
    Visit,
)
from marketplace.bookings.availability import Interval, subtract
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.dispatch_io.visits import order_visit
from marketplace.technicians.facts import load_technician_facts
from marketplace.technicians.models import Technician as TechnicianRow
from marketplace.technicians.models import (
    TechnicianSkill,
    TechnicianStatus,
)
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder


def visit_for(order: WorkOrder, window: Interval, *, tier: str) -> Visit:
    return order_visit(order, window[0], window[1], tier=tier)


def technician_from_row(
    row: TechnicianRow,
    *,
    skills: Iterable[tuple[str, int]],
    certifications: Iterable[DCertification],
    free: Iterable[Interval],
) -> Technician:
    location = None
    if row.last_lat is not None and row.last_lng is not None:
        location = GeoPoint(row.last_lat, row.last_lng)
    return Technician(
        id=str(row.id),
        home=GeoPoint(row.home_lat, row.home_lng),
        skills=tuple(skills),
        certifications=tuple(certifications),
        shifts=tuple(TimeWindow(s, e) for s, e in free),
        service_radius_m=row.service_radius_m,
        location=location,
        rating_sum=float(row.rating_sum),
        rating_count=row.rating_count,
    )


async def load_technicians(
    session: AsyncSession,
    order: WorkOrder,
    *,
    start: datetime,
    end: datetime,
    only_ids: Iterable[uuid.UUID] | None = None,
) -> list[Technician]:
    """Active technicians of the order's region holding every required skill code (any
    level: dispatch checks levels and explains), with free time inside [start, end)."""
    query = select(TechnicianRow).where(
        TechnicianRow.status == TechnicianStatus.ACTIVE, TechnicianRow.region == order.region
    )
    codes = sorted({str(s["code"]) for s in order.required_skills})
    if codes:
        holders = (
            select(TechnicianSkill.technician_id)
            .where(col(TechnicianSkill.skill_code).in_(codes))
            .group_by(col(TechnicianSkill.technician_id))
            .having(sa.func.count(sa.distinct(col(TechnicianSkill.skill_code))) == len(codes))
        )
        query = query.where(col(TechnicianRow.id).in_(holders))
    if only_ids is not None:
        query = query.where(col(TechnicianRow.id).in_(list(only_ids)))
    rows = list((await session.execute(query.order_by(col(TechnicianRow.id)))).scalars())
    if not rows:
        return []
    ids = [r.id for r in rows]

    facts = await load_technician_facts(session, ids, start=start, end=end)
    skills, certs, available = facts.skills, facts.certifications, facts.shifts
    blocked: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    for tech_id, windows in facts.time_off.items():
        blocked[tech_id] = list(windows)
    for tech_id, busy_from, busy_until in await booked_time(session, ids, start, end):
        blocked[tech_id].append((busy_from, busy_until))

    return [
        technician_from_row(
            r,
            skills=skills[r.id],
            certifications=certs[r.id],
            free=subtract(available[r.id], blocked[r.id]),
        )
        for r in rows
    ]


async def booked_time(
    session: AsyncSession, technician_ids: list[uuid.UUID], start: datetime, end: datetime
) -> list[tuple[uuid.UUID, int, int]]:
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
