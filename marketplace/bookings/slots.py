"""Arrival windows a qualified technician can actually make, via `dispatch/` feasibility.

A window is offered only when `dispatch.candidates` feasibility finds at least one
technician with the skills, valid certifications and service area who can travel there,
arrive inside the window and finish before their free time ends (see `region_pool` for
how bookings and time off shrink free time, and what is cached). Nothing here counts
heads per window: two windows may well be served by the same person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.candidates import callback_option, evaluate_pairs, prefilter
from dispatch.geo import DEFAULT_TRAVEL_MODEL
from dispatch.matching import rank_candidates
from dispatch.pool import TechnicianPool
from dispatch.problem import TimeWindow
from dispatch.visit_columns import visit_columns
from marketplace.bookings.availability import Interval, window_grid
from marketplace.bookings.dispatch_adapter import visit_for
from marketplace.bookings.region_pool import region_pool
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder

DEFAULT_DAYS = 7
DEFAULT_WINDOW_S = 2 * 3600


class Availability(StrEnum):
    AVAILABLE = "available"  # some window meets the SLA
    SLA_AT_RISK = "sla_at_risk"  # windows exist, none meets the SLA: earliest qualified offered
    NO_AVAILABILITY = "no_availability"  # qualified people exist, none free in the horizon
    NO_QUALIFIED_TECHNICIAN = "no_qualified_technician"


@dataclass(frozen=True, slots=True)
class SlotOption:
    start: int
    end: int
    earliest_arrival: int
    technicians: int  # qualified technicians who can make it (a hint, not a promise)
    meets_sla: bool


@dataclass(frozen=True, slots=True)
class SlotSearch:
    slots: tuple[SlotOption, ...]
    availability: Availability
    qualified_technicians: int
    sla_due_at: int | None
    duration_s: int

    @property
    def earliest(self) -> SlotOption | None:
        return min(self.slots, key=lambda s: s.earliest_arrival) if self.slots else None

    @property
    def sla_attainable(self) -> bool:
        return any(s.meets_sla for s in self.slots)


@dataclass(frozen=True, slots=True)
class Choice:
    technician_id: str
    arrival: int
    travel_s: int
    meets_sla: bool


def _meets(order: WorkOrder, arrival: int) -> bool:
    return order.sla_due_at is None or arrival + order.duration_s <= to_epoch(order.sla_due_at)


async def load_pool(
    session: AsyncSession, order: WorkOrder, now: datetime, days: int
) -> TechnicianPool | None:
    """The order's region with the free time from `now` for `days` (+1) days of everyone
    who could serve the order (its skills near its place; see `region_pool`)."""
    end = now + timedelta(days=days + 1)
    serving = visit_for(order, (to_epoch(now), to_epoch(end)), tier="standard")
    return await region_pool(session, order.region, start=now, end=end, serving=serving)


def evaluate_windows(
    pool: TechnicianPool | None, order: WorkOrder, windows: list[Interval], *, tier: str, now: int
) -> list[SlotOption]:
    """Every window at once: the visit differs only in its window, so the technicians near
    it with the skills (`prefilter`) are the same rows for all, and one vectorised pass
    over (window, technician) pairs answers what a `find_candidates` per window would."""
    if pool is None or not windows:
        return []
    base = visit_for(order, windows[0], tier=tier)
    visits = [replace(base, window=TimeWindow(*window)) for window in windows]
    cols = visit_columns(pool, visits)
    rows = prefilter(pool, visits[0])
    vis = np.repeat(np.arange(len(visits), dtype=np.int64), len(rows))
    evaluated = evaluate_pairs(pool, cols, now, DEFAULT_TRAVEL_MODEL, vis, np.tile(rows, len(visits)))
    feasible = evaluated.feasible
    counts = np.bincount(feasible.vis, minlength=len(visits))
    earliest = np.full(len(visits), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, feasible.vis, feasible.arrival)
    out: list[SlotOption] = []
    for k, window in enumerate(windows):
        if counts[k]:
            first = int(earliest[k])
            out.append(SlotOption(window[0], window[1], first, int(counts[k]), _meets(order, first)))
    return out


async def search_slots(
    session: AsyncSession,
    order: WorkOrder,
    *,
    tier: str,
    tz: str,
    now: datetime,
    days: int = DEFAULT_DAYS,
    window_s: int = DEFAULT_WINDOW_S,
) -> SlotSearch:
    now_s = to_epoch(now)
    pool = await load_pool(session, order, now, days)
    grid = window_grid(now, days=days, window_s=window_s, tz=tz)
    slots = evaluate_windows(pool, order, grid, tier=tier, now=now_s)
    qualified = 0
    if pool is not None:
        horizon = (now_s, now_s + (days + 1) * 86_400)
        qualified, _option = callback_option(pool, visit_for(order, horizon, tier=tier), now_s)
    if not qualified:
        availability = Availability.NO_QUALIFIED_TECHNICIAN
    elif not slots:
        availability = Availability.NO_AVAILABILITY
    elif any(s.meets_sla for s in slots):
        availability = Availability.AVAILABLE
    else:
        availability = Availability.SLA_AT_RISK
    return SlotSearch(
        slots=tuple(slots),
        availability=availability,
        qualified_technicians=qualified,
        sla_due_at=to_epoch(order.sla_due_at) if order.sla_due_at else None,
        duration_s=order.duration_s,
    )


def choose_technicians(
    pool: TechnicianPool | None, order: WorkOrder, window: Interval, *, tier: str, now: int, limit: int = 5
) -> list[Choice]:
    """Qualified technicians who can make `window`, best first: those meeting the SLA
    before those who do not, then by dispatch's score (travel, rating, skill fit, ...)."""
    if pool is None:
        return []
    ranking = rank_candidates(visit_for(order, window, tier=tier), pool, now, limit=limit * 2)
    choices = [
        Choice(c.technician_id, c.arrival, c.travel_s, _meets(order, c.arrival)) for c in ranking.candidates
    ]
    choices.sort(key=lambda c: not c.meets_sla)  # stable: keeps the score order inside each group
    return choices[:limit]
