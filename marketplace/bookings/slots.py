"""Arrival windows a qualified technician can actually make, via `dispatch/` feasibility.

A window is offered only when `dispatch.candidates.find_candidates` finds at least one
technician with the skills, valid certifications and service area who can travel there,
arrive inside the window and finish before their free time ends (see
`dispatch_adapter` for how bookings and time off shrink free time). Nothing here counts
heads per window: two windows may well be served by the same person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.candidates import callback_option, find_candidates
from dispatch.geo import DEFAULT_TRAVEL_MODEL
from dispatch.matching import rank_candidates
from dispatch.pool import TechnicianPool, build_pool
from marketplace.bookings.availability import Interval, window_grid
from marketplace.bookings.dispatch_adapter import load_technicians, visit_for
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
    techs = await load_technicians(session, order, start=now, end=now + timedelta(days=days + 1))
    return build_pool(techs) if techs else None


def evaluate_windows(
    pool: TechnicianPool | None, order: WorkOrder, windows: list[Interval], *, tier: str, now: int
) -> list[SlotOption]:
    if pool is None:
        return []
    out: list[SlotOption] = []
    for window in windows:
        feasible = find_candidates(
            pool, visit_for(order, window, tier=tier), now, DEFAULT_TRAVEL_MODEL
        ).feasible
        if len(feasible.rows):
            earliest = int(feasible.arrival.min())
            out.append(
                SlotOption(window[0], window[1], earliest, len(feasible.rows), _meets(order, earliest))
            )
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
