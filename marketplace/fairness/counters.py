"""Counter-offers: a technician answers a pending offer with other pay and/or another
arrival window; Fieldhand prices it against the plan (`counter_pricing`) and accepts it,
declines it, or queues it for a dispatcher.

Race safety: every verb locks the work order first, like accepting; a counter on an offer
someone else has won is `OfferTaken` (409), and an accepted counter goes through the same
accept as a plain accept, so the one-accepted-offer-per-order index has the last word.
One counter per offer (a unique constraint): asking again returns the first answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.scoring import DEFAULT_WEIGHTS
from marketplace.assignment.config import DispatchConfig, load_config
from marketplace.auth import Principal
from marketplace.bookings.repository import live_appointment
from marketplace.errors import NotFound
from marketplace.fairness import ledger, repository
from marketplace.fairness.counter_pricing import (
    Alternative,
    Band,
    CounterCase,
    CounterPrice,
    Verdict,
    price_counter,
)
from marketplace.fairness.errors import CounterAlreadyDecided, CounterOutOfRange
from marketplace.fairness.models import (
    FINAL_KINDS,
    CounterOffer,
    CounterStatus,
    DecisionKind,
)
from marketplace.offers.answers import take_offer
from marketplace.offers.dispatch_adapter import to_visit
from marketplace.offers.errors import OfferExpired, OfferNotPending, OfferTaken
from marketplace.offers.models import Offer, OfferStatus
from marketplace.pagination import Page
from marketplace.pricing.service import technician_pay
from marketplace.technicians.service import own_technician_id
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.state import lock_work_order, record_event


def band_of(config: DispatchConfig) -> Band:
    return Band(
        minor_per_point=config.counter_minor_per_point,
        accept_within_bps=config.counter_accept_within_bps,
        decline_above_bps=config.counter_decline_above_bps,
        max_fee_share_bps=config.counter_max_fee_share_bps,
    )


async def _best_alternative(
    session: AsyncSession, order: WorkOrder, technician_id: uuid.UUID
) -> Alternative | None:
    """The cheapest other candidate the ledger still counts as available for this order."""
    rows = await repository.ledger_rows_of_order(session, order.id)
    closed = {r.technician_id for r in rows if r.kind in FINAL_KINDS}
    open_rows = [
        r
        for r in rows
        if r.kind in (DecisionKind.RANKED, DecisionKind.OFFERED)
        and r.technician_id != technician_id
        and r.technician_id not in closed
        and r.cost is not None
    ]
    if not open_rows:
        return None
    best = min(open_rows, key=lambda r: (r.cost or 0, r.rank or 0))
    return Alternative(
        cost=best.cost or 0,
        travel_s=best.travel_s or 0,
        sla_met=best.sla_slack_s is None or best.sla_slack_s >= 0,
    )


async def _price(
    session: AsyncSession,
    order: WorkOrder,
    offer: Offer,
    *,
    pay_minor: int,
    window_end: datetime | None,
    now: datetime,
    config: DispatchConfig,
) -> CounterPrice:
    customer = await repository.order_customer(session, order)
    visit = to_visit(order, await live_appointment(session, order.id), customer, now)
    e = offer.explanation
    if window_end is not None and order.sla_due_at is not None:
        sla_met = to_epoch(window_end) + order.duration_s <= to_epoch(order.sla_due_at)
    else:
        slack = e.get("sla_slack_s")
        sla_met = slack is None or int(slack) >= 0
    case = CounterCase(
        currency=order.currency,
        quoted_pay_minor=technician_pay(order),
        fee_minor=order.fee_minor,
        counter_pay_minor=pay_minor,
        own_cost=int(e.get("cost", 0)),
        own_travel_s=int(e.get("travel_s", 0)),
        sla_met=sla_met,
        alternative=await _best_alternative(session, order, offer.technician_id),
        drop_penalty=DEFAULT_WEIGHTS.unassigned_penalty(visit),
    )
    return price_counter(case, band_of(config))


async def counter_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    *,
    pay_minor: int | None,
    window_start: datetime | None,
    window_end: datetime | None,
    note: str | None,
    now: datetime,
    config: DispatchConfig | None = None,
) -> CounterOffer:
    config = config or load_config()
    technician_id = own_technician_id(principal)
    offer = await repository.countered_offer(session, offer_id)
    if offer is None or offer.technician_id != technician_id:
        raise NotFound("No such offer")
    order = await lock_work_order(session, offer.work_order_id)
    await session.refresh(offer)
    existing = await repository.counter_of_offer(session, offer.id)
    if existing is not None:
        return existing  # one counter per offer: a retry gets the first answer
    if offer.status == OfferStatus.WITHDRAWN and order.technician_id not in (None, technician_id):
        raise OfferTaken("Another technician took this job first")
    if offer.status != OfferStatus.PENDING:
        raise OfferNotPending(
            f"This offer is {offer.status} and cannot be countered", offer_status=offer.status
        )
    if offer.expires_at <= now:
        raise OfferExpired("This offer has expired", expired_at=offer.expires_at.isoformat())
    if order.technician_id is not None:
        raise OfferTaken("This job is no longer available", work_order_status=order.status)
    pay = offer.earnings_minor if pay_minor is None else pay_minor
    pay = technician_pay(order) if pay is None else pay
    if pay < 0 or pay > order.price_minor:
        raise CounterOutOfRange(
            "The pay asked must be between 0 and the job's price", max_pay_minor=order.price_minor
        )
    if (window_start is None) != (window_end is None) or (
        window_start is not None and window_end is not None and window_end <= window_start
    ):
        raise CounterOutOfRange("Give both ends of the arrival window, the end after the start")
    if pay_minor is None and window_start is None:
        raise CounterOutOfRange("A counter asks for other pay, another arrival window, or both")

    price = await _price(session, order, offer, pay_minor=pay, window_end=window_end, now=now, config=config)
    status = {
        Verdict.ACCEPT: CounterStatus.ACCEPTED,
        Verdict.DECLINE: CounterStatus.DECLINED,
        Verdict.DISPATCHER: CounterStatus.QUEUED,
    }[price.verdict]
    counter = CounterOffer(
        offer_id=offer.id,
        work_order_id=order.id,
        technician_id=technician_id,
        pay_minor=pay,
        currency=order.currency,
        window_start=window_start,
        window_end=window_end,
        note=note,
        status=status.value,
        reason=price.reason[:500],
        numbers=price.numbers(),
        decided_at=None if status is CounterStatus.QUEUED else now,
        created_at=now,
    )
    session.add(counter)
    await session.flush()
    await ledger.record(
        session,
        order,
        technician_id,
        DecisionKind.COUNTERED,
        now=now,
        offer=offer,
        reason_code=f"counter_{price.verdict.value}",
        reason=price.reason,
    )
    await record_event(
        session,
        order,
        "counter_offer",
        actor=principal,
        reason=price.reason[:500],
        data={"offer_id": str(offer.id), "counter_id": str(counter.id), **price.numbers()},
        now=now,
    )
    if status is CounterStatus.ACCEPTED:
        await _apply(session, order, offer, counter, actor=principal, now=now)
    return counter


async def _apply(
    session: AsyncSession,
    order: WorkOrder,
    offer: Offer,
    counter: CounterOffer,
    *,
    actor: Principal,
    now: datetime,
) -> None:
    """Accept the offer on the counter's terms. The customer's price stays; the platform's
    fee on this order takes the difference in pay."""
    offer.earnings_minor = counter.pay_minor
    if counter.window_start is not None and counter.window_end is not None:
        offer.window_start, offer.window_end = counter.window_start, counter.window_end
        offer.explanation = {**offer.explanation, "arrival": to_epoch(counter.window_start)}
    order.fee_minor = order.price_minor - counter.pay_minor
    await session.flush()
    await take_offer(session, offer, actor=actor, now=now)


async def list_counter_offers(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> Page[CounterOffer]:
    """Counter-offers for dispatchers, oldest first (the queue order)."""
    return await repository.counter_offers_page(session, status=status, cursor=cursor, limit=limit)


async def decide_counter_offer(
    session: AsyncSession,
    principal: Principal,
    counter_id: uuid.UUID,
    *,
    accept: bool,
    reason: str | None,
    now: datetime,
) -> CounterOffer:
    """A dispatcher's decision on a queued counter. Deciding the same way twice returns it."""
    counter = await repository.counter_offer(session, counter_id)
    if counter is None:
        raise NotFound("No such counter-offer")
    order = await lock_work_order(session, counter.work_order_id)
    await session.refresh(counter)
    wanted = CounterStatus.ACCEPTED if accept else CounterStatus.DECLINED
    if counter.status == wanted and counter.decided_by == principal.user_id:
        return counter
    if counter.status != CounterStatus.QUEUED:
        raise CounterAlreadyDecided(f"This counter-offer is {counter.status}", counter_status=counter.status)
    offer = await repository.countered_offer(session, counter.offer_id)
    assert offer is not None
    await session.refresh(offer)
    if accept and offer.status != OfferStatus.PENDING:
        counter.status = CounterStatus.SUPERSEDED.value
        counter.decided_at = now
        await session.flush()
        if order.technician_id not in (None, counter.technician_id):
            raise OfferTaken("Another technician took this job first")
        raise OfferNotPending(f"The offer is {offer.status}", offer_status=offer.status)
    counter.status = wanted.value
    counter.decided_by = principal.user_id
    counter.decided_at = now
    if reason:
        counter.reason = f"{counter.reason}; dispatcher: {reason}"[:500]
    await session.flush()
    await record_event(
        session,
        order,
        "counter_offer_decided",
        actor=principal,
        reason=reason,
        data={"counter_id": str(counter.id), "decision": wanted.value},
        now=now,
    )
    if accept:
        await _apply(session, order, offer, counter, actor=principal, now=now)
    return counter
