"""Batch dispatch runs, one region at a time.

A run loads the region's day (open scheduled orders, accepted/started visits pinned to
their technician), plans it with the day planner (`dispatch.routing.plan_day`: assignment
and sequence at once), and applies the result:
- an open order placed on a technician's route becomes a targeted offer, or an assignment
  straight away when that technician opted into auto-accept;
- a pinned visit gets its new planned arrival as the customer's ETA (told when it moved);
- an open order nobody can take stays open and is counted (the SLA monitor alerts on it).
If the planner fails, the min-cost-flow batch assignment (`dispatch.matching.assign_batch`)
decides who gets which open order instead (no sequencing, same offers).

Two runs of one region never overlap: a run takes a PostgreSQL advisory transaction lock
on the region and skips when another run holds it. Each order is re-checked under its row
lock before anything is written, so a run racing an accept or a cancellation writes nothing
stale. Running twice in a row is a no-op the second time (orders with an open offer are
not open any more).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.matching import AssignmentProblem, BatchOptions, assign_batch, rank_candidates
from dispatch.problem import Plan
from dispatch.scoring import RankedCandidate
from marketplace.assignment import plan_repository, repository
from marketplace.assignment.config import DispatchConfig
from marketplace.assignment.horizon import region_horizon_end
from marketplace.assignment.loading import PlannedOrder, RegionDay, load_region_day
from marketplace.assignment.offering import move_reservation, offer_or_assign
from marketplace.assignment.replan import apply_eta, released_technicians, solve
from marketplace.bookings.repository import live_appointment
from marketplace.fairness.weights import planner_fairness
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Notifier
from marketplace.offers.models import OfferStatus
from marketplace.offers.reads import open_offer_count
from marketplace.settings import Settings
from marketplace.technicians.repository import cached_technician
from marketplace.timeutil import to_epoch
from marketplace.travel.choice import planning_travel
from marketplace.work_orders.models import WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event

S = WorkOrderStatus


@dataclass
class RunSummary:
    region: str
    trigger: str
    started_at: str
    finished_at: str | None = None
    skipped: str | None = None
    technicians: int = 0
    open_orders: int = 0
    pinned_visits: int = 0
    offered: int = 0
    auto_assigned: int = 0
    unplaced: int = 0
    eta_updates: int = 0
    customers_told: int = 0
    solver: str = ""
    solve_seconds: float = 0.0
    planned_travel_m: int = 0
    travel: str = ""
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def regions_with_open_work(session: AsyncSession) -> list[str]:
    """Regions with orders to place or accepted visits to re-plan: one batch run each."""
    return await plan_repository.regions_with_orders_in(session, [S.SCHEDULED, S.ASSIGNED, S.EN_ROUTE])


def _routes(plan: Plan) -> dict[str, tuple[str, int, int]]:
    """visit id -> (technician id, arrival, travel seconds to it)."""
    out: dict[str, tuple[str, int, int]] = {}
    for route in plan.routes:
        for stop in route.stops:
            out[stop.visit_id] = (route.technician_id, stop.arrival, stop.travel_s)
    return out


def _fallback(day: RegionDay, now_s: int, settings: Settings) -> dict[str, tuple[str, int, int]]:
    visits = tuple(p.visit for p in day.orders.values() if not p.pinned)
    result = assign_batch(
        AssignmentProblem(
            visits=visits,
            technicians=tuple(day.technicians),
            now=now_s,
            options=BatchOptions(
                capacity_per_technician=4,
                time_limit_s=settings.solver_time_limit_s,
                seed=settings.solver_seed,
            ),
        )
    )
    return {
        o.visit_id: (o.technician_id, o.arrival or now_s, o.travel_s)
        for o in result.assigned
        if o.technician_id
    }


def _finished(now: datetime, run_started: float) -> str:
    return (now + timedelta(seconds=time.perf_counter() - run_started)).isoformat()


async def run_region(
    session: AsyncSession,
    region: str,
    *,
    settings: Settings,
    config: DispatchConfig,
    trigger: str,
    now: datetime,
    notifier: Notifier = DEFAULT_NOTIFIER,
) -> RunSummary:
    run_started = time.perf_counter()  # a duration, not the time of day: finished = now + elapsed
    summary = RunSummary(region=region, trigger=trigger, started_at=now.isoformat())
    if not await repository.try_region_lock(session, region):
        summary.skipped = "another dispatch run of this region is in progress"
        return summary
    horizon_end = region_horizon_end(now, region, config=config, settings=settings)
    day = await load_region_day(session, region, now=now, horizon_end=horizon_end)
    summary.technicians = len(day.technicians)
    summary.open_orders = len(day.open_ids)
    summary.pinned_visits = len(day.orders) - summary.open_orders
    if not day.open_ids and not summary.pinned_visits:
        summary.finished_at = _finished(now, run_started)
        return summary
    now_s = to_epoch(now)
    started = time.perf_counter()
    try:
        travel = await asyncio.to_thread(planning_travel, settings)
        plan = await solve(
            day.technicians,
            day.visits,
            now,
            day.horizon_end,
            settings,
            travel=travel,
            fairness_per_pct_hour=planner_fairness(config),
        )
        summary.travel = travel.used
        placed = _routes(plan)
        summary.solver = plan.solver or "planner"
        summary.planned_travel_m = sum(r.travel_m for r in plan.routes)
    except Exception as exc:  # a solver bug must not stop dispatch: fall back to assignment
        summary.solver = f"assign_batch (planner failed: {type(exc).__name__})"
        placed = _fallback(day, now_s, settings)
    summary.solve_seconds = round(time.perf_counter() - started, 3)

    for visit_id, planned in day.orders.items():
        hit = placed.get(visit_id)
        if planned.pinned:
            if hit is not None:
                summary.eta_updates += 1
                if await apply_eta(
                    session,
                    planned.order,
                    planned.appointment,
                    hit[1],
                    config=config,
                    notifier=notifier,
                    reason="day re-planned",
                    now=now,
                ):
                    summary.customers_told += 1
            continue
        if hit is None:
            summary.unplaced += 1
            summary.decisions.append({"work_order_id": visit_id, "decision": "unplaced"})
            continue
        decision = await _apply_open(session, day, planned, hit, now=now, config=config, notifier=notifier)
        summary.decisions.append({"work_order_id": visit_id, **decision})
        if decision["decision"] == "offered":
            summary.offered += 1
        elif decision["decision"] == "auto_assigned":
            summary.auto_assigned += 1
        else:
            summary.unplaced += 1
    summary.finished_at = _finished(now, run_started)
    return summary


def _candidate(
    day: RegionDay, planned: PlannedOrder, tech_id: str, now_s: int
) -> tuple[RankedCandidate | None, list[RankedCandidate]]:
    ranking = rank_candidates(planned.visit, day.technicians, now_s, limit=5)
    try:
        return ranking.candidate(tech_id), list(ranking.candidates)
    except KeyError:
        return None, list(ranking.candidates)


async def _apply_open(
    session: AsyncSession,
    day: RegionDay,
    planned: PlannedOrder,
    hit: tuple[str, int, int],
    *,
    now: datetime,
    config: DispatchConfig,
    notifier: Notifier,
) -> dict[str, Any]:
    tech_id, arrival, travel_s = hit
    order = await lock_work_order(session, planned.order.id)
    if (
        order.status != S.SCHEDULED
        or order.technician_id is not None
        or await open_offer_count(session, order.id)
    ):
        return {"decision": "skipped", "why": f"order is {order.status} now"}
    appointment = await live_appointment(session, order.id)
    if appointment is None:
        return {"decision": "skipped", "why": "no booked window any more"}
    candidate, ranked = _candidate(day, planned, tech_id, to_epoch(now))
    released = {str(t) for t in await released_technicians(session, order.id)}
    if released:  # the order was taken back from them: someone else
        ranked = [c for c in ranked if c.technician_id not in released]
        if tech_id in released:
            candidate = None
    if candidate is None:
        # the planner's pick is not a candidate under the stricter instant rules (radius):
        # take the best qualified candidate instead (never an unqualified one)
        if not ranked:
            return {"decision": "unplaced", "why": "no qualified candidate"}
        candidate = ranked[0]
        tech_id, arrival, travel_s = candidate.technician_id, candidate.arrival, candidate.travel_s
    target = uuid.UUID(tech_id)
    if appointment.technician_id not in (None, target):
        moved = await move_reservation(
            session, appointment, target, arrival=arrival, travel_s=travel_s, duration_s=order.duration_s
        )
        if not moved:  # keep the booking's reservation and offer to that technician
            reserved = str(appointment.technician_id)
            alt = next((c for c in ranked if c.technician_id == reserved), None)
            if alt is None:
                return {"decision": "unplaced", "why": "planned technician is booked elsewhere"}
            candidate, target = alt, uuid.UUID(reserved)
    elif appointment.technician_id is None:
        await move_reservation(
            session, appointment, target, arrival=arrival, travel_s=travel_s, duration_s=order.duration_s
        )
    tech = await cached_technician(session, target)
    assert tech is not None
    offer = await offer_or_assign(
        session,
        order,
        tech,
        candidate,
        appointment=appointment,
        ttl_s=config.batch_offer_ttl_s,
        now=now,
        why="batch run",
    )
    if offer.status == OfferStatus.ACCEPTED:
        await record_event(
            session,
            order,
            "batch_dispatched",
            actor=None,
            reason="auto-accepted",
            data={"offer_id": str(offer.id)},
            now=now,
        )
        return {"decision": "auto_assigned", "technician_id": str(target), "offer_id": str(offer.id)}
    return {"decision": "offered", "technician_id": str(target), "offer_id": str(offer.id)}
