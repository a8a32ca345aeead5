"""Rows -> `dispatch/` types for one region (Unix seconds, metres).

A region's day: its active technicians (shifts minus time off minus time booked for work
*outside* this plan), the open scheduled orders to place, and the visits already accepted
or started, pinned to their technician. A visit in progress (on site) is not planned: its
technician is simply busy at the site until the projected finish.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.problem import GeoPoint, Visit
from dispatch.problem import Technician as DTechnician
from marketplace.assignment import repository
from marketplace.bookings.availability import subtract
from marketplace.bookings.models import Appointment
from marketplace.dispatch_io.technicians import last_known_position, solver_technician
from marketplace.dispatch_io.visits import order_visit
from marketplace.fairness.recent_work import with_recent_work
from marketplace.technicians.facts import load_technician_facts
from marketplace.technicians.models import Technician
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus

S = WorkOrderStatus
PINNED_STATUSES = (S.ASSIGNED, S.EN_ROUTE)


@dataclass
class PlannedOrder:
    order: WorkOrder
    appointment: Appointment | None
    visit: Visit
    pinned: bool


@dataclass
class RegionDay:
    region: str
    now: datetime
    horizon_end: datetime
    technicians: list[DTechnician]
    technician_rows: dict[str, Technician]
    orders: dict[str, PlannedOrder] = field(default_factory=dict)

    @property
    def visits(self) -> list[Visit]:
        return [p.visit for p in self.orders.values()]

    @property
    def open_ids(self) -> list[str]:
        return [k for k, p in self.orders.items() if not p.pinned]


def to_visit(
    order: WorkOrder, window: tuple[int, int], tier: str, *, pinned_to: uuid.UUID | None = None
) -> Visit:
    start, end = window
    return order_visit(order, start, max(end, start + 60), tier=tier, pinned_to=pinned_to)


async def load_region_day(
    session: AsyncSession,
    region: str,
    *,
    now: datetime,
    horizon_end: datetime,
    technician_ids: set[uuid.UUID] | None = None,
    include_open: bool = True,
) -> RegionDay:
    """Everything the planner needs for `region` from `now` to `horizon_end`."""
    now_s, end_s = to_epoch(now), to_epoch(horizon_end)

    statuses = [*PINNED_STATUSES, S.ON_SITE] + ([S.SCHEDULED] if include_open else [])
    orders = await repository.region_orders(session, region, statuses, technician_ids=technician_ids)
    appointments = await repository.live_appointments(session, [o.id for o in orders])
    with_pending = await repository.orders_with_open_offers(session, [o.id for o in orders])
    tiers = await repository.customer_tiers(session, {o.customer_id for o in orders})
    on_site = await repository.on_site_since(session, [o.id for o in orders if o.status == S.ON_SITE])

    planned: dict[str, PlannedOrder] = {}
    busy_at_site: dict[uuid.UUID, tuple[GeoPoint, int]] = {}
    for order in orders:
        appt = appointments.get(order.id)
        tier = tiers.get(order.customer_id, "standard")
        if order.status == S.ON_SITE and order.technician_id is not None:
            started = on_site.get(order.id, now)
            finish = max(to_epoch(started) + order.duration_s, now_s + 300)
            busy_at_site[order.technician_id] = (GeoPoint(order.lat, order.lng), finish)
            continue
        if order.status in PINNED_STATUSES and order.technician_id is not None:
            if order.status == S.EN_ROUTE or appt is None:
                window = (now_s, max(now_s + 4 * 3600, to_epoch(appt.window_end) if appt else 0))
            else:
                window = (
                    max(to_epoch(appt.window_start), now_s),
                    max(to_epoch(appt.window_end), now_s + 1800),
                )
            visit = to_visit(order, window, tier, pinned_to=order.technician_id)
            planned[str(order.id)] = PlannedOrder(order, appt, visit, pinned=True)
            continue
        if order.status != S.SCHEDULED or appt is None or order.id in with_pending:
            continue
        start, end = to_epoch(appt.window_start), to_epoch(appt.window_end)
        if end <= now_s or start >= end_s:
            continue
        visit = to_visit(order, (max(start, now_s), end), tier)
        planned[str(order.id)] = PlannedOrder(order, appt, visit, pinned=False)

    techs, rows = await _region_technicians(
        session,
        region,
        now=now,
        horizon_end=horizon_end,
        only=technician_ids,
        planned_orders={p.order.id for p in planned.values()},
        busy_at_site=busy_at_site,
    )
    techs = await with_recent_work(session, region, techs, now=now)
    # a pinned visit whose technician is gone (suspended, no shift left) cannot stay pinned
    known = set(rows)
    for p in planned.values():
        if p.visit.pinned_to is not None and p.visit.pinned_to not in known:
            p.visit = to_visit(p.order, (p.visit.window.start, p.visit.window.end), "standard")
    return RegionDay(region, now, horizon_end, techs, rows, planned)


async def _region_technicians(
    session: AsyncSession,
    region: str,
    *,
    now: datetime,
    horizon_end: datetime,
    only: set[uuid.UUID] | None,
    planned_orders: set[uuid.UUID],
    busy_at_site: dict[uuid.UUID, tuple[GeoPoint, int]],
) -> tuple[list[DTechnician], dict[str, Technician]]:
    rows = await repository.active_technicians(session, region, only=only)
    if not rows:
        return [], {}
    ids = [t.id for t in rows]
    now_s = to_epoch(now)
    facts = await load_technician_facts(session, ids, start=now, end=horizon_end)
    skills, certs = facts.skills, facts.certifications
    shifts: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    for tech_id, windows in facts.shifts.items():
        shifts[tech_id] = [(max(start, now_s), end) for start, end in windows]
    blocked: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    for tech_id, windows in facts.time_off.items():
        blocked[tech_id] = list(windows)
    # time booked for work that is not part of this plan stays blocked
    for appt in await repository.booked_time_between(session, ids, start=now, end=horizon_end):
        if (
            appt.work_order_id not in planned_orders
            and appt.technician_id
            and appt.busy_from
            and appt.busy_until
        ):
            blocked[appt.technician_id].append((to_epoch(appt.busy_from), to_epoch(appt.busy_until)))
    out: list[DTechnician] = []
    by_id: dict[str, Technician] = {}
    for t in rows:
        location = last_known_position(t, now)
        if t.id in busy_at_site:
            site, finish = busy_at_site[t.id]
            location = site
            blocked[t.id].append((now_s, finish))
        free = subtract(sorted(shifts[t.id]), blocked[t.id])
        free = [(s, e) for s, e in free if e > s]
        if not free:
            continue
        out.append(
            solver_technician(
                t, skills=skills[t.id], certifications=certs[t.id], free=free, location=location
            )
        )
        by_id[str(t.id)] = t
    return out, by_id
