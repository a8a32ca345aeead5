"""Instant dispatch for urgent orders (P1/P2 with no booked window): one targeted offer at
a time, short expiry, next candidate on decline/expiry; after N misses widen the search
radius, after more misses hand the order to a human (agent) with the honest earliest ETA.

Never an unqualified technician: every offer comes out of `dispatch.rank_candidates`,
whose hard filters (skills, levels, certifications valid at arrival, shifts) stay on even
when the radius is widened; only the service radius is stretched, and only as far as
`max_widened_radius_m`.

Entry points, all safe to run twice (they lock the order and look at its offers first):
- `instant_step(session, order_id)` (task `dispatch.instant`): start or continue.
- `continue_cascade(session, order)`: called by the offers service's next-round task when
  the last open offer of an urgent order closed.
- `urgent_orders_needing_a_step(session)`: what the sweeper enqueues.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.matching import rank_candidates
from marketplace.assignment import plan_repository, repository
from marketplace.assignment.config import DispatchConfig, load_config
from marketplace.assignment.offering import offer_to
from marketplace.bookings.models import Appointment
from marketplace.bookings.repository import live_appointment
from marketplace.fairness.weights import score_weights
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, Notifier
from marketplace.offers.dispatch_adapter import load_technicians, to_visit
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.reads import open_offer_count
from marketplace.offers.rounds import OFFERABLE, create_offers_for_work_order, earnings_for
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event, transition

MISSED = (OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.WITHDRAWN)


class Step(StrEnum):
    OFFERED = "offered"
    OFFERED_WIDENED = "offered_widened"
    ESCALATED = "escalated"
    NOTHING_TO_DO = "nothing_to_do"


@dataclass(frozen=True, slots=True)
class StepResult:
    step: Step
    misses: int = 0
    offer_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None
    radius_factor: float = 1.0


def is_instant(order: WorkOrder, appointment: Appointment | None, config: DispatchConfig) -> bool:
    return order.priority <= config.urgent_priority and appointment is None


async def instant_step(
    session: AsyncSession,
    order_id: uuid.UUID,
    *,
    now: datetime,
    config: DispatchConfig | None = None,
    notifier: Notifier = DEFAULT_NOTIFIER,
) -> StepResult:
    config = config or load_config()
    order = await lock_work_order(session, order_id)
    if WorkOrderStatus(order.status) not in OFFERABLE or order.technician_id is not None:
        return StepResult(Step.NOTHING_TO_DO)
    if not is_instant(order, await live_appointment(session, order.id), config):
        return StepResult(Step.NOTHING_TO_DO)
    if await open_offer_count(session, order.id):
        return StepResult(Step.NOTHING_TO_DO)  # someone is still being asked
    return await _step(session, order, now=now, config=config, notifier=notifier)


async def continue_cascade(session: AsyncSession, order: WorkOrder, *, now: datetime) -> bool:
    """For the offers service's next-round task (order locked, `offered`, nobody open):
    True when the order is urgent and this cascade took the next step."""
    config = load_config()
    if not is_instant(order, await live_appointment(session, order.id), config):
        return False
    await _step(session, order, now=now, config=config, notifier=DEFAULT_NOTIFIER)
    return True


async def _step(
    session: AsyncSession, order: WorkOrder, *, now: datetime, config: DispatchConfig, notifier: Notifier
) -> StepResult:
    result = await _decide(session, order, now=now, config=config, notifier=notifier)
    await record_step(session, order.id, result, now=now)
    return result


async def _decide(
    session: AsyncSession, order: WorkOrder, *, now: datetime, config: DispatchConfig, notifier: Notifier
) -> StepResult:
    offers = await repository.offers_of(session, order.id)
    misses = sum(1 for o in offers if o.status in MISSED)
    if misses >= config.misses_before_escalate:
        return await _escalate(session, order, now=now, misses=misses, notifier=notifier, reason="missed")
    if misses < config.misses_before_widen:
        result = await create_offers_for_work_order(
            session, order.id, now=now, max_offers=1, ttl_s=config.instant_offer_ttl_s
        )
        if result.offers:
            offer = result.offers[0]
            return StepResult(Step.OFFERED, misses, offer.id, offer.technician_id)
    return await _widened(session, order, offers, now=now, misses=misses, config=config, notifier=notifier)


async def _widened(
    session: AsyncSession,
    order: WorkOrder,
    offers: list[Offer],
    *,
    now: datetime,
    misses: int,
    config: DispatchConfig,
    notifier: Notifier,
) -> StepResult:
    customer = await repository.customer(session, order.customer_id)
    visit = to_visit(order, None, customer, now)
    horizon = from_epoch(visit.window.end + visit.duration_s) + timedelta(hours=1)
    techs, rows = await load_technicians(
        session, order, now=now, horizon_end=horizon, exclude={o.technician_id for o in offers}
    )
    factor = config.widen_factor
    widened = [
        dataclasses.replace(
            t,
            service_radius_m=max(
                t.service_radius_m, min(int(t.service_radius_m * factor), config.max_widened_radius_m)
            ),
        )
        for t in techs
    ]
    widened = [
        t
        for t in widened
        if rows[t.id].price_floor_minor is None or earnings_for(order) >= (rows[t.id].price_floor_minor or 0)
    ]
    ranking = rank_candidates(visit, widened, to_epoch(now), weights=score_weights(config), limit=1)
    if not ranking.candidates:
        earliest = from_epoch(ranking.earliest_option.arrival) if ranking.earliest_option else None
        return await _escalate(
            session,
            order,
            now=now,
            misses=misses,
            notifier=notifier,
            reason=ranking.status.value,
            earliest=earliest,
        )
    best = ranking.candidates[0]
    tech = rows[best.technician_id]
    offer = await offer_to(
        session,
        order,
        tech,
        best,
        appointment=None,
        ttl_s=config.instant_offer_ttl_s,
        now=now,
        why="instant dispatch, widened radius",
        extra={"radius_factor": factor},
    )
    return StepResult(Step.OFFERED_WIDENED, misses, offer.id, tech.id, factor)


async def _escalate(
    session: AsyncSession,
    order: WorkOrder,
    *,
    now: datetime,
    misses: int,
    notifier: Notifier,
    reason: str,
    earliest: datetime | None = None,
) -> StepResult:
    """Better the right person later than the wrong person now: a human takes over."""
    data = {
        "misses": misses,
        "reason": reason,
        "earliest_arrival": earliest.isoformat() if earliest else None,
        "sla_due_at": order.sla_due_at.isoformat() if order.sla_due_at else None,
    }
    words = {
        "missed": f"{misses} technicians did not take it",
        "needs_callback": "no qualified technician can arrive in time",
        "no_qualified_technician": "no qualified technician serves this location",
    }.get(reason, reason)
    if order.status != WorkOrderStatus.NEEDS_CALLBACK:
        await transition(
            session,
            order,
            WorkOrderStatus.NEEDS_CALLBACK,
            actor=None,
            reason=f"instant dispatch: {words}",
            data=data,
            now=now,
        )
    eta = f"; earliest qualified arrival {earliest:%H:%M} UTC" if earliest else ""
    await notifier.send(
        session,
        Message(
            dedupe_key=f"instant-escalated:{order.id}:{misses}",
            kind="dispatch.escalated",
            subject=f"Urgent work order needs you: {words}{eta}",
            body=order.summary,
            recipient_role=Role.AGENT.value,
            work_order_id=order.id,
            data=data,
        ),
        now=now,
    )
    return StepResult(Step.ESCALATED, misses)


async def urgent_orders_needing_a_step(
    session: AsyncSession, *, config: DispatchConfig, limit: int = 200
) -> list[tuple[uuid.UUID, int]]:
    """Urgent, unbooked, unassigned orders nobody is currently being asked about, with how
    many offers they have had (the sweeper's dedupe key: one step per state)."""
    return await plan_repository.urgent_orders_nobody_is_asked(
        session, max_priority=config.urgent_priority, limit=limit
    )


async def record_step(
    session: AsyncSession, order_id: uuid.UUID, result: StepResult, *, now: datetime
) -> None:
    """Audit the cascade step on the order (the offer/escalation already wrote transitions)."""
    if result.step is Step.NOTHING_TO_DO:
        return
    order = await repository.work_order(session, order_id)
    if order is not None:
        await record_event(
            session,
            order,
            "instant_dispatch",
            actor=None,
            reason=result.step.value,
            data={
                "misses": result.misses,
                "offer_id": str(result.offer_id) if result.offer_id else None,
                "technician_id": str(result.technician_id) if result.technician_id else None,
                "radius_factor": result.radius_factor,
            },
            now=now,
        )
