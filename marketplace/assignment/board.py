"""Reads for the staff console's map, schedule board and queue (one region, one day)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment import plan_repository, repository
from marketplace.assignment.console import PlanStop, technician_plans
from marketplace.bookings.models import Appointment
from marketplace.technicians.models import Shift, Technician
from marketplace.visits.eta import quick_risk
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus

S = WorkOrderStatus
QUEUED = (S.NEW, S.TRIAGED, S.SCHEDULED, S.NEEDS_CALLBACK)
OPEN = (*QUEUED, S.OFFERED, S.ASSIGNED, S.EN_ROUTE, S.ON_SITE)


@dataclass
class BoardRow:
    technician: Technician
    shifts: list[Shift] = field(default_factory=list)
    stops: list[PlanStop] = field(default_factory=list)


@dataclass(frozen=True)
class OpenOrder:
    order: WorkOrder
    appointment: Appointment | None
    risk: str


async def regions(session: AsyncSession) -> list[str]:
    """Every named region with technicians, alphabetically."""
    return [r for r in await plan_repository.technician_regions(session) if r]


async def board(
    session: AsyncSession, region: str, *, now: datetime, day_start: datetime, day_end: datetime
) -> list[BoardRow]:
    """One row per active technician of the region: the day's shifts and planned visits."""
    plans = await technician_plans(session, region, now=min(now, day_start), horizon_end=day_end)
    rows = {p.technician.id: BoardRow(p.technician, stops=p.stops) for p in plans}
    if not rows:
        return []
    for shift in await plan_repository.shifts_between(session, list(rows), start=day_start, end=day_end):
        rows[shift.technician_id].shifts.append(shift)
    return list(rows.values())


async def open_orders(
    session: AsyncSession, region: str, *, now: datetime, limit: int = 500
) -> list[OpenOrder]:
    """The region's open work orders with their live appointment and SLA risk, due first."""
    orders = await plan_repository.region_orders_due_first(session, region, OPEN, limit=limit)
    appts = await repository.live_appointments(session, [o.id for o in orders])
    return [OpenOrder(o, appts.get(o.id), quick_risk(o, appts.get(o.id), now).value) for o in orders]


def queue(orders: list[OpenOrder]) -> list[OpenOrder]:
    """Work needing a dispatcher: unassigned, waiting for a callback, or at risk."""
    return [o for o in orders if o.order.status in QUEUED or o.risk != "on_track"]
