"""Re-planning after a change, and honest ETAs.

`replan_technician` re-sequences one technician's remaining visits through the same local
repair path the benchmarks measure (`dispatch.routing.local_replan.replan_locally`): their
current order of visits is the warm start, and their accepted/started visits are pinned to
them. Only this technician's route is re-solved: moving an accepted visit to another
freelancer would need that freelancer's yes. Visits that no longer fit (overrun, an
emergency slotted in, the technician went offline or off shift) are released back to
`scheduled` so the next batch run finds someone else. Every customer whose ETA moved by
more than `eta_change_worth_telling_s` is told the new one.

`changes_needing_replan` finds what changed (cancellations, new emergencies assigned,
overruns, technicians gone quiet) for the sweeper, each with a stable dedupe key.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.problem import Plan, Route, Stop, TimeWindow
from dispatch.routing import PlannerConfig, plan_day
from dispatch.routing.local_replan import DayChange, replan_locally
from marketplace import outbox
from marketplace.assignment import plan_repository, repository
from marketplace.assignment.config import DispatchConfig, load_config
from marketplace.assignment.horizon import region_horizon_end
from marketplace.assignment.instant import is_instant
from marketplace.assignment.loading import RegionDay, load_region_day
from marketplace.bookings.models import Appointment
from marketplace.bookings.repository import live_appointment
from marketplace.messages.notices import to_customer
from marketplace.messages.service import Outgoing
from marketplace.notifications.notifier import (
    DEFAULT_NOTIFIER,
    Message,
    Notifier,
    customer_user_id,
    technician_user_id,
)
from marketplace.offers.models import OfferStatus
from marketplace.settings import Settings
from marketplace.technicians.repository import cached_technician
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.travel.choice import FallbackTravelModel, planning_travel
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event, transition

S = WorkOrderStatus
REPLAN_TASK = "dispatch.replan_technician"
BATCH_TASK = "dispatch.batch_region"
INSTANT_DISPATCH_TASK = "dispatch.instant"
RELEASED_EVENT = "released"


@dataclass
class ReplanSummary:
    technician_id: str
    reason: str
    visits: int = 0
    eta_updates: int = 0
    customers_told: int = 0
    released: list[str] = field(default_factory=list)


async def solve(
    technicians: list,
    visits: list,
    now: datetime,
    horizon_end: datetime,
    settings: Settings,
    time_limit_s: float | None = None,
    travel: FallbackTravelModel | None = None,
    fairness_per_pct_hour: int = 0,
) -> Plan:  # type: ignore[type-arg]
    """The day planner in a worker thread, with the configured limit, seed and travel model
    (`travel.used` afterwards says which model answered), and the fairness surcharge
    (`marketplace.fairness.weights.planner_fairness`) when work is shared out.

    OR-Tools and VROOM hold the GIL while they search, so the thread keeps the event loop's
    own code off the solve but the loop still waits for most of the time limit: other
    requests of this process answer after the solve. A forked child process would free the
    loop; it would also have to hand back the travel model's failures and road-row cache."""
    day = TimeWindow(to_epoch(now), to_epoch(horizon_end))
    limit = time_limit_s if time_limit_s is not None else settings.solver_time_limit_s
    if travel is None:
        travel = await asyncio.to_thread(planning_travel, settings)
    return await asyncio.to_thread(
        plan_day,
        technicians,
        visits,
        day,
        travel,
        time_limit_s=limit,
        seed=settings.solver_seed,
        now=to_epoch(now),
        config=PlannerConfig(fairness_per_pct_hour=fairness_per_pct_hour),
    )


def current_route(day: RegionDay, technician_id: str) -> Plan:
    """The technician's visits as they stand, in planned arrival order (the warm start)."""
    mine = [
        (to_epoch(p.appointment.planned_arrival), visit_id)
        for visit_id, p in day.orders.items()
        if p.appointment is not None and p.appointment.planned_arrival is not None
    ]
    stops = tuple(Stop(visit_id, arrival, arrival, 0, 0) for arrival, visit_id in sorted(mine))
    return Plan(routes=(Route(technician_id, stops),) if stops else ())


async def repair_route(day: RegionDay, technician_id: str, now: datetime, settings: Settings) -> Plan:
    """Re-solve one technician's route after a change, warm-started from their current order,
    within `min(solver limit, 2 s)`, in a worker thread (the loop still waits while OR-Tools
    holds the GIL, see `solve`)."""
    travel = await asyncio.to_thread(planning_travel, settings)
    current = current_route(day, technician_id)
    return await asyncio.to_thread(
        replan_locally,
        day.technicians,
        day.visits,
        TimeWindow(to_epoch(now), to_epoch(day.horizon_end)),
        travel,
        current,
        DayChange(
            changed_technicians=frozenset({technician_id}),
            new_visits=frozenset(day.orders) - {s.visit_id for r in current.routes for s in r.stops},
        ),
        time_limit_s=min(settings.solver_time_limit_s, 2.0),
        seed=settings.solver_seed,
        now=to_epoch(now),
        neighbours=0,
    )


async def apply_eta(
    session: AsyncSession,
    order: WorkOrder,
    appointment: Appointment | None,
    arrival: int,
    *,
    config: DispatchConfig,
    notifier: Notifier,
    reason: str,
    now: datetime,
) -> bool:
    """Store a new planned arrival as the ETA; tell the customer when it moved noticeably.
    True when the customer was told."""
    if appointment is None:
        return False
    new_eta = from_epoch(arrival)
    old = appointment.eta or appointment.planned_arrival
    appointment.eta = new_eta
    if appointment.planned_arrival is None:
        appointment.planned_arrival = new_eta
    await session.flush()
    if old is not None and abs((new_eta - old).total_seconds()) < config.eta_change_worth_telling_s:
        return False
    await record_event(
        session,
        order,
        "eta_updated",
        actor=None,
        reason=reason,
        data={"eta": new_eta.isoformat(), "previous": old.isoformat() if old else None},
        now=now,
    )
    user_id = await customer_user_id(session, order.customer_id)
    bucket = arrival // 300 * 300
    return await notifier.send(
        session,
        Message(
            dedupe_key=f"eta:{order.id}:{bucket}",
            kind="work_order.eta_changed",
            subject=f"New arrival time for your visit: about {new_eta:%H:%M} UTC",
            body=f"Your technician's plan changed ({reason}).",
            recipient_user_id=user_id,
            recipient_role=None if user_id else "customer",
            work_order_id=order.id,
            data={
                "eta": new_eta.isoformat(),
                "previous_eta": old.isoformat() if old else None,
                "reason": reason,
            },
        ),
        now=now,
    )


async def released_technicians(session: AsyncSession, order_id: uuid.UUID) -> set[uuid.UUID]:
    """Technicians this order was taken back from: never offered it again."""
    events = await repository.order_event_data(session, order_id, RELEASED_EVENT)
    return {uuid.UUID(str(data["technician_id"])) for data in events if data.get("technician_id")}


async def release_assignment(
    session: AsyncSession,
    order: WorkOrder,
    *,
    reason: str,
    notifier: Notifier = DEFAULT_NOTIFIER,
    now: datetime,
) -> bool:
    """Take an accepted, not yet started visit back from its technician (order locked):
    the accepted offer is withdrawn, the reservation freed, the order back to `scheduled`
    and offered again without that technician (a `released` event names them and the
    reason; dispatch never offers the order to them again). An order with a booked window
    goes to the region's next batch run; one without (urgent, instant dispatch) restarts
    its offer cascade at once. False when it cannot be released (already started/done)."""
    if order.status not in (S.ASSIGNED, S.OFFERED) or order.technician_id is None:
        return False
    tech_id = order.technician_id
    for offer in await repository.open_offers_of(session, order.id):
        offer.status = OfferStatus.WITHDRAWN.value
        offer.decline_reason = reason[:500]
    appointment = await live_appointment(session, order.id)
    if appointment is not None:
        appointment.technician_id = None
        appointment.busy_from = appointment.busy_until = None
        appointment.planned_arrival = None
    order.technician_id = None
    await transition(
        session,
        order,
        S.SCHEDULED,
        actor=None,
        reason=f"released: {reason}",
        data={"technician_id": str(tech_id)},
        now=now,
    )
    excluded = sorted({*map(str, await released_technicians(session, order.id)), str(tech_id)})
    await record_event(
        session,
        order,
        RELEASED_EVENT,
        actor=None,
        reason=reason[:2000],
        data={"technician_id": str(tech_id), "excluded_technician_ids": excluded},
        now=now,
    )
    tech_user = await technician_user_id(session, tech_id)
    await notifier.send(
        session,
        Message(
            dedupe_key=f"released:{order.id}:{tech_id}:{order.updated_at.isoformat()}",
            kind="visit.released",
            subject=f"A visit was taken off your plan: {order.summary[:100]}",
            body=reason,
            recipient_user_id=tech_user,
            recipient_role=None if tech_user else "technician",
            work_order_id=order.id,
            webhook=False,
        ),
        now=now,
    )
    if is_instant(order, appointment, load_config()):
        asked = len(await repository.offers_of(session, order.id))
        await outbox.enqueue(
            session,
            INSTANT_DISPATCH_TASK,
            {"work_order_id": str(order.id)},
            dedupe_key=f"instant:{order.id}:{asked}",  # the sweeper's key: never both
            now=now,
        )
        return True
    await outbox.enqueue(
        session,
        BATCH_TASK,
        {"region": order.region, "trigger": f"released:{order.id}"},
        dedupe_key=f"batch:{order.region}:released:{order.id}:{order.updated_at.isoformat()}"[:200],
        now=now,
    )
    return True


async def replan_technician(
    session: AsyncSession,
    technician_id: uuid.UUID,
    *,
    now: datetime,
    settings: Settings,
    config: DispatchConfig,
    reason: str,
    release_all: bool = False,
    notifier: Notifier = DEFAULT_NOTIFIER,
) -> ReplanSummary:
    """Re-sequence the technician's remaining visits; `release_all` (offline, declined
    their day) hands every not-yet-started visit back to dispatch."""
    summary = ReplanSummary(str(technician_id), reason)
    tech = await cached_technician(session, technician_id)
    if tech is None:
        return summary
    day = await load_region_day(
        session,
        tech.region,
        now=now,
        horizon_end=region_horizon_end(now, tech.region, config=config, settings=settings),
        technician_ids={technician_id},
        include_open=False,
    )
    summary.visits = len(day.orders)
    if not day.orders:
        return summary
    plan: Plan | None = None
    if day.technicians and not release_all:
        plan = await repair_route(day, str(technician_id), now, settings)
    placed: dict[str, int] = {}
    if plan is not None:
        for route in plan.routes:
            for stop in route.stops:
                placed[stop.visit_id] = stop.arrival
    for visit_id, planned in sorted(day.orders.items()):
        order = await lock_work_order(session, planned.order.id)
        if order.technician_id != technician_id or order.status not in (S.ASSIGNED, S.EN_ROUTE):
            continue
        appointment = await live_appointment(session, order.id)
        if visit_id in placed:
            summary.eta_updates += 1
            if await apply_eta(
                session,
                order,
                appointment,
                placed[visit_id],
                config=config,
                notifier=notifier,
                reason=reason,
                now=now,
            ):
                summary.customers_told += 1
        elif order.status == S.ASSIGNED and await release_assignment(
            session,
            order,
            reason=f"no longer fits the technician's day ({reason})",
            notifier=notifier,
            now=now,
        ):
            summary.released.append(visit_id)
            user_id = await customer_user_id(session, order.customer_id)
            await notifier.send(
                session,
                Message(
                    dedupe_key=f"reassigning:{order.id}:{order.updated_at.isoformat()}",
                    kind="work_order.reassigning",
                    subject="Your technician can no longer make it; we are finding another one",
                    recipient_user_id=user_id,
                    recipient_role=None if user_id else "customer",
                    work_order_id=order.id,
                    outgoing=Outgoing(
                        to_customer(order.customer_id), "reassigning", {"summary": order.summary}, now=now
                    ),
                ),
                now=now,
            )
            summary.customers_told += 1
    return summary


@dataclass(frozen=True, slots=True)
class Change:
    technician_id: uuid.UUID
    reason: str
    dedupe_key: str
    region: str | None = None  # also re-run the region's batch (freed capacity)
    release_all: bool = False


async def changes_needing_replan(
    session: AsyncSession, *, now: datetime, config: DispatchConfig, lookback_s: int = 1800
) -> list[Change]:
    since = now - timedelta(seconds=lookback_s)
    changes: list[Change] = []
    # cancellations and new emergencies, from the audit trail
    for event, order in await plan_repository.transitions_since(session, since, [S.CANCELLED, S.ASSIGNED]):
        if event.to_status == S.CANCELLED:
            tech_id = order.technician_id
            if tech_id is None:
                tech_id = await plan_repository.last_appointment_technician(session, order.id)
            if tech_id is not None:
                changes.append(
                    Change(tech_id, "a visit was cancelled", f"replan:cancel:{event.id}", order.region)
                )
        elif order.priority == 1 and order.technician_id is not None:
            changes.append(
                Change(order.technician_id, "an emergency was added", f"replan:emergency:{event.id}")
            )
    # overruns: still on site past the planned finish
    on_site = await plan_repository.orders_in_status(session, S.ON_SITE)
    started = await repository.on_site_since(session, [o.id for o in on_site])
    for order in on_site:
        at = started.get(order.id)
        if at is None or order.technician_id is None:
            continue
        if now > at + timedelta(seconds=order.duration_s):
            bucket = to_epoch(now) // 900
            changes.append(
                Change(
                    order.technician_id,
                    "the current visit is running over",
                    f"replan:overrun:{order.id}:{bucket}",
                )
            )
    # technicians gone quiet with accepted visits coming up
    quiet_before = now - timedelta(seconds=config.offline_after_s)
    quiet = await plan_repository.technicians_quiet_with_visits(
        session, quiet_before=quiet_before, order_statuses=[S.ASSIGNED, S.EN_ROUTE]
    )
    for tech_id, last in quiet:
        changes.append(
            Change(
                tech_id,
                "the technician went offline",
                f"replan:offline:{tech_id}:{to_epoch(last)}",
                release_all=True,
            )
        )
    return changes
