"""Answers to offers: accepting (one winner), declining, expiring and withdrawing.

Concurrency: every verb that changes offers of a work order first locks the work order
row (`lock_work_order`), so competing accepts run one after another; the partial unique
index `uq_offers_one_accepted_per_order` backs this up in the database (a second accepted
offer for one order cannot be written, whatever the code does)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.scoring import (
    why_not,
)
from marketplace import events, outbox
from marketplace.auth import Principal
from marketplace.bookings.repository import live_appointment
from marketplace.fairness import ledger
from marketplace.fairness.models import DecisionKind
from marketplace.messages.notices import to_customer
from marketplace.messages.service import Outgoing
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, customer_user_id
from marketplace.offers import repository
from marketplace.offers.errors import OfferExpired, OfferNotPending, OfferTaken
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.reads import OfferView, own_offer
from marketplace.offers.receipts import candidate_from_offer, record_missed, settle_receipts
from marketplace.technicians.errors import TechnicianNotActive
from marketplace.technicians.models import Technician, TechnicianStatus
from marketplace.timeutil import from_epoch
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event, transition


async def accept_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, now: datetime
) -> OfferView:
    """Take the job. Exactly one accept per work order wins; the rest get `OfferTaken` (409).

    Accepting an offer you already accepted returns it again (a retry over a bad network).
    On success the other pending offers are withdrawn (their technicians get a "why not
    you" receipt) and the work order moves to `assigned`.
    """
    offer = await own_offer(session, principal, offer_id)
    return await take_offer(session, offer, actor=principal, now=now)


async def take_offer(session: AsyncSession, offer: Offer, *, actor: Principal, now: datetime) -> OfferView:
    """Accept `offer` for its technician (the verb behind `accept_offer`; also used when a
    counter-offer is accepted). Same guarantees: one winner per work order."""
    principal = actor
    order = await lock_work_order(session, offer.work_order_id)  # competing accepts queue here
    await session.refresh(offer)
    if offer.status == OfferStatus.ACCEPTED:
        return OfferView(offer, order, offer.status)
    if offer.status == OfferStatus.WITHDRAWN and order.technician_id not in (None, offer.technician_id):
        raise OfferTaken("Another technician took this job first")
    if offer.status == OfferStatus.EXPIRED:
        raise OfferExpired(
            "This offer expired before it was accepted", expired_at=offer.expires_at.isoformat()
        )
    if offer.status != OfferStatus.PENDING:
        raise OfferNotPending(
            f"This offer is {offer.status} and can no longer be accepted", offer_status=offer.status
        )
    if offer.expires_at <= now:
        raise OfferExpired(
            "This offer expired before it was accepted", expired_at=offer.expires_at.isoformat()
        )
    tech = await repository.technician_taking_offer(session, offer.technician_id)
    if tech.status != TechnicianStatus.ACTIVE:
        raise TechnicianNotActive("Your account is not active, so you cannot take jobs right now")
    if order.technician_id is not None or order.status != WorkOrderStatus.OFFERED:
        raise OfferTaken("This job is no longer available", work_order_status=order.status)

    offer.status = OfferStatus.ACCEPTED.value
    offer.responded_at = now
    try:
        async with session.begin_nested():
            await session.flush()
    except sa.exc.IntegrityError as exc:  # uq_offers_one_accepted_per_order
        raise OfferTaken("Another technician took this job first") from exc

    await ledger.offer_closed(session, order, offer, DecisionKind.WON, now=now)
    winner = candidate_from_offer(offer)
    for other in await repository.other_pending_offers(session, order.id, offer.id):
        other.status = OfferStatus.WITHDRAWN.value
        other.responded_at = now
        loser = candidate_from_offer(other)
        reason = why_not(winner, loser) if winner and loser else "another technician accepted the job first"
        if winner and loser and loser.cost <= winner.cost:
            reason = "another technician accepted the job first"
        await ledger.offer_closed(
            session, order, other, DecisionKind.LOST, now=now, reason_code="taken", reason=reason
        )
        await record_missed(
            session, other.technician_id, order.id, code="taken", reason=reason, offer_id=other.id, now=now
        )
    await settle_receipts(session, order, offer, now=now)
    order.technician_id = tech.id
    await transition(
        session,
        order,
        WorkOrderStatus.ASSIGNED,
        actor=principal,
        reason="offer accepted",
        data={"offer_id": str(offer.id), "technician_id": str(tech.id)},
        now=now,
    )
    arrival = offer.explanation.get("arrival")
    await events.publish(
        session,
        events.OfferAccepted(
            order, offer.id, tech.id, arrival=from_epoch(int(arrival)) if arrival else None, now=now
        ),
    )
    await session.flush()
    appointment = await live_appointment(session, order.id)
    eta = (appointment.eta if appointment is not None else None) or offer.window_start or now
    await tell_customer_assigned(session, order, offer, tech, eta=eta, now=now)
    return OfferView(offer, order, offer.status)


async def tell_customer_assigned(
    session: AsyncSession, order: WorkOrder, offer: Offer, tech: Technician, *, eta: datetime, now: datetime
) -> None:
    """The customer (on their channels) and the helpdesk learn who is coming and when, once
    per accepted offer, however it was accepted."""
    customer_user = await customer_user_id(session, order.customer_id)
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"offer-accepted:{order.id}:{offer.id}",
            kind="work_order.assigned",
            subject=f"{tech.display_name} will do your visit",
            recipient_user_id=customer_user,
            recipient_role=None if customer_user else "customer",
            work_order_id=order.id,
            data={"technician_id": str(tech.id), "eta": eta.isoformat()},
            outgoing=Outgoing(
                to_customer(order.customer_id),
                "technician_assigned",
                {"technician": tech.display_name, "eta": eta},
                now=now,
            ),
        ),
        now=now,
    )


async def decline_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    *,
    reason: str | None,
    now: datetime,
) -> OfferView:
    """Say no (with an optional reason, recorded). Declining twice returns the first answer."""
    offer = await own_offer(session, principal, offer_id)
    order = await lock_work_order(session, offer.work_order_id)
    await session.refresh(offer)
    if offer.status == OfferStatus.DECLINED:
        return OfferView(offer, order, offer.status)
    if offer.status != OfferStatus.PENDING:
        raise OfferNotPending(
            f"This offer is {offer.status} and can no longer be declined", offer_status=offer.status
        )
    if offer.expires_at <= now:
        raise OfferExpired(
            "This offer has already expired; nothing to decline", expired_at=offer.expires_at.isoformat()
        )
    offer.status = OfferStatus.DECLINED.value
    offer.responded_at = now
    offer.decline_reason = reason
    await session.flush()
    await ledger.offer_closed(
        session, order, offer, DecisionKind.DECLINED, now=now, reason_code="declined", reason=reason
    )
    await record_event(
        session,
        order,
        "offer_declined",
        actor=principal,
        reason=reason,
        data={"offer_id": str(offer.id)},
        now=now,
    )
    await after_offer_closed(session, order, offer.round, now=now)
    return OfferView(offer, order, offer.status)


async def after_offer_closed(
    session: AsyncSession, order: WorkOrder, round_no: int, *, now: datetime
) -> None:
    """When the last pending offer of a round closes, ask the next people (a task)."""
    if order.status == WorkOrderStatus.OFFERED and not await repository.open_offer_count(session, order.id):
        await outbox.enqueue(
            session,
            "offers.next_round",
            {"work_order_id": str(order.id)},
            dedupe_key=f"offers-next-round:{order.id}:{round_no}",
            now=now,
        )


async def expire_due_offers(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Mark pending offers past their expiry as expired (a periodic task). Returns how many."""
    due = await repository.orders_with_expired_offers(session, now=now, limit=limit)
    count = 0
    for work_order_id in sorted(due):
        order = await lock_work_order(session, work_order_id)
        offers = await repository.expired_pending_offers(session, work_order_id, now=now)
        for offer in offers:
            offer.status = OfferStatus.EXPIRED.value
            await ledger.offer_closed(
                session, order, offer, DecisionKind.EXPIRED, now=now, reason_code="offer_expired"
            )
            await record_missed(
                session,
                offer.technician_id,
                work_order_id,
                code="offer_expired",
                reason="the offer expired before you answered",
                offer_id=offer.id,
                now=now,
            )
            count += 1
        await session.flush()
        if offers:
            await after_offer_closed(session, order, max(o.round for o in offers), now=now)
    return count


async def withdraw_pending_offers_of_technician(
    session: AsyncSession, technician_id: uuid.UUID, *, reason: str, now: datetime
) -> int:
    """Withdraw a technician's open offers (suspension). Returns how many."""
    offers = await repository.pending_offers_of_technician(session, technician_id)
    for offer in offers:
        offer.status = OfferStatus.WITHDRAWN.value
        offer.responded_at = now
        offer.decline_reason = reason[:500]
    await session.flush()
    for offer in offers:
        order = await repository.offered_order(session, offer.work_order_id)
        if order is not None:
            await ledger.offer_closed(
                session, order, offer, DecisionKind.WITHDRAWN, now=now, reason_code="withdrawn", reason=reason
            )
    for offer in offers:  # the task re-checks under the order lock; no order lock taken here
        await outbox.enqueue(
            session,
            "offers.next_round",
            {"work_order_id": str(offer.work_order_id)},
            dedupe_key=f"offers-next-round:{offer.work_order_id}:{offer.round}",
            now=now,
        )
    return len(offers)
