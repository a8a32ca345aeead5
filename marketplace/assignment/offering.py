"""Turning a dispatch decision for one (order, technician) into an offer or an assignment.

`marketplace.offers.rounds.create_offers_for_work_order` ranks and offers to the best N itself; dispatch
runs here already know *whom* they want (the planner's route, a widened search), so these
helpers write the same rows the offers service writes (an `Offer` with the ranked
explanation, the `offered` transition, the technician's notification), for a chosen
technician. Callers hold the work-order lock (`lock_work_order`) and re-check its state.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.scoring import RankedCandidate
from marketplace import events
from marketplace.assignment import repository
from marketplace.bookings.models import Appointment
from marketplace.fairness import ledger
from marketplace.fairness.models import DecisionKind
from marketplace.messages.notices import to_technician
from marketplace.messages.service import Outgoing
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, technician_user_id
from marketplace.offers.answers import tell_customer_assigned
from marketplace.offers.models import Offer
from marketplace.offers.receipts import settle_receipts
from marketplace.offers.rounds import announce_offers, write_offers
from marketplace.technicians.models import Technician
from marketplace.timeutil import from_epoch
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import transition


async def _next_round_offer(
    session: AsyncSession,
    order: WorkOrder,
    tech: Technician,
    candidate: RankedCandidate,
    *,
    appointment: Appointment | None,
    expires_at: datetime,
    now: datetime,
    accepted: bool = False,
    **explanation: Any,
) -> tuple[int, Offer]:
    """One offer of `order` to `tech` in the order's next round: (round number, offer)."""
    previous = await repository.offers_of(session, order.id)
    round_no = max((o.round for o in previous), default=0) + 1
    [offer] = await write_offers(
        session,
        order,
        [(tech.id, candidate)],
        round_no=round_no,
        appointment=appointment,
        expires_at=expires_at,
        now=now,
        accepted=accepted,
        **explanation,
    )
    return round_no, offer


async def offer_to(
    session: AsyncSession,
    order: WorkOrder,
    tech: Technician,
    candidate: RankedCandidate,
    *,
    appointment: Appointment | None,
    ttl_s: int,
    now: datetime,
    why: str,
    extra: dict[str, Any] | None = None,
) -> Offer:
    """A pending offer of `order` to `tech` (order locked and offerable)."""
    round_no, offer = await _next_round_offer(
        session,
        order,
        tech,
        candidate,
        appointment=appointment,
        expires_at=now + timedelta(seconds=ttl_s),
        now=now,
        dispatch=why,
        **(extra or {}),
    )
    await announce_offers(session, order, [offer], round_no=round_no, actor=None, now=now, why=why)
    return offer


async def move_reservation(
    session: AsyncSession,
    appointment: Appointment,
    tech_id: uuid.UUID,
    *,
    arrival: int,
    travel_s: int,
    duration_s: int,
) -> bool:
    """Re-reserve the booked time on another technician; False when it would overlap their
    other bookings (the EXCLUDE constraint refuses it), leaving the reservation as it was."""
    before = (appointment.technician_id, appointment.busy_from, appointment.busy_until)
    try:
        async with session.begin_nested():
            appointment.technician_id = tech_id
            appointment.busy_from = from_epoch(arrival - travel_s)
            appointment.busy_until = from_epoch(arrival + duration_s)
            await session.flush()
    except IntegrityError:
        appointment.technician_id, appointment.busy_from, appointment.busy_until = before
        return False
    return True


async def offer_or_assign(
    session: AsyncSession,
    order: WorkOrder,
    tech: Technician,
    candidate: RankedCandidate,
    *,
    appointment: Appointment | None,
    ttl_s: int,
    now: datetime,
    why: str,
) -> Offer:
    """The job for `tech`: assigned at once when they opted into auto-accept (the offer comes
    back accepted), else offered to them for `ttl_s`."""
    if tech.auto_accept:
        return await assign_directly(
            session, order, tech, candidate, appointment=appointment, now=now, why=why
        )
    return await offer_to(
        session, order, tech, candidate, appointment=appointment, ttl_s=ttl_s, now=now, why=why
    )


async def assign_directly(
    session: AsyncSession,
    order: WorkOrder,
    tech: Technician,
    candidate: RankedCandidate,
    *,
    appointment: Appointment | None,
    now: datetime,
    why: str,
) -> Offer:
    """For technicians who opted into auto-accept: an accepted offer and the assignment."""
    _, offer = await _next_round_offer(
        session,
        order,
        tech,
        candidate,
        appointment=appointment,
        expires_at=now,
        now=now,
        accepted=True,
        dispatch=why,
        auto_accept=True,
    )
    await ledger.offer_closed(session, order, offer, DecisionKind.WON, now=now, reason_code="auto_accept")
    await settle_receipts(session, order, offer, now=now)
    order.technician_id = tech.id
    await transition(
        session,
        order,
        WorkOrderStatus.ASSIGNED,
        actor=None,
        reason=f"auto-accepted ({why})",
        data={"offer_id": str(offer.id), "technician_id": str(tech.id), "auto_accept": True},
        now=now,
    )
    await events.publish(
        session,
        events.OfferAccepted(order, offer.id, tech.id, arrival=from_epoch(candidate.arrival), now=now),
    )
    await session.flush()
    tech_user = await technician_user_id(session, tech.id)
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"auto-assigned:{offer.id}",
            kind="visit.assigned",
            subject=f"New visit on your plan: {order.summary[:120]}",
            recipient_user_id=tech_user,
            recipient_role=None if tech_user else "technician",
            work_order_id=order.id,
            data={"offer_id": str(offer.id), "arrival": from_epoch(candidate.arrival).isoformat()},
            webhook=False,
            outgoing=Outgoing(
                to_technician(tech.id),
                "visit_assigned",
                {"summary": order.summary, "arrival": from_epoch(candidate.arrival)},
                now=now,
            ),
        ),
        now=now,
    )
    await tell_customer_assigned(session, order, offer, tech, eta=from_epoch(candidate.arrival), now=now)
    return offer
