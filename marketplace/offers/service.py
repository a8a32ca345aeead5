"""Offers: who gets asked (via `dispatch` ranking), accepting (one winner), declining,
and "why not you" receipts for those who did not get the job.

Concurrency: every verb that changes offers of a work order first locks the work order
row (`lock_work_order`), so competing accepts run one after another; the partial unique
index `uq_offers_one_accepted_per_order` backs this up in the database (a second accepted
offer for one order cannot be written, whatever the code does).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from dispatch.candidates import CANNOT_ARRIVE, CERT_EXPIRED, MISSING_CERT, format_reason
from dispatch.matching import Outcome, rank_candidates
from dispatch.scoring import (
    DEFAULT_WEIGHTS,
    RankedCandidate,
    TermValue,
    explain_candidate,
    explain_exclusion,
    why_not,
)
from marketplace import outbox
from marketplace.auth import Principal
from marketplace.bookings.models import Appointment
from marketplace.bookings.repository import live_appointment
from marketplace.customers.models import Customer
from marketplace.db_dialect import insert_ignoring_conflicts, supports_row_locks
from marketplace.errors import NotFound
from marketplace.fairness import ledger
from marketplace.fairness.models import DecisionKind, DispatchDecision
from marketplace.messages import notices
from marketplace.messages.notices import to_customer
from marketplace.messages.service import Outgoing, compose
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, customer_user_id, technician_user_id
from marketplace.offers.config import default_offer_ttl_s
from marketplace.offers.dispatch_adapter import load_technicians, to_visit
from marketplace.offers.errors import OfferExpired, OfferNotPending, OfferTaken, WorkOrderNotOfferable
from marketplace.offers.models import MissedOffer, Offer, OfferStatus
from marketplace.pagination import Page, keyset_page
from marketplace.pricing.service import technician_pay
from marketplace.technicians.errors import TechnicianNotActive
from marketplace.technicians.models import Technician, TechnicianStatus
from marketplace.technicians.service import own_technician_id
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event, transition

OFFERABLE = frozenset({WorkOrderStatus.TRIAGED, WorkOrderStatus.SCHEDULED, WorkOrderStatus.OFFERED})
# Exclusions worth telling a technician about: they have the skills and live nearby, but
# something they can fix (a certificate, their shifts) or timing kept them out.
_TELLABLE_EXCLUSIONS = {CERT_EXPIRED, MISSING_CERT, CANNOT_ARRIVE}


@dataclass(frozen=True, slots=True)
class OfferRound:
    work_order_id: uuid.UUID
    round: int
    offers: list[Offer]
    outcome: str  # dispatch.matching.Outcome value: ranked | needs_callback | no_qualified_technician
    earliest_arrival: datetime | None  # when nobody fits the window: the soonest qualified arrival
    feasible_count: int


@dataclass(frozen=True, slots=True)
class OfferView:
    offer: Offer
    order: WorkOrder
    effective_status: str  # a pending offer past its expiry reads as "expired"


def effective_status(offer: Offer, now: datetime) -> str:
    if offer.status == OfferStatus.PENDING and offer.expires_at <= now:
        return OfferStatus.EXPIRED.value
    return offer.status


def earnings_for(order: WorkOrder) -> int:
    """What the technician earns for the order: the pay in its quote, as payouts pay it."""
    return technician_pay(order)


def offer_explanation(candidate: RankedCandidate, **extra: Any) -> dict[str, Any]:
    """What an offer stores about its ranking: the source of "why you" and "why not you"."""
    return {
        "why_you": list(explain_candidate(candidate)),
        "rank": candidate.rank,
        "cost": candidate.cost,
        "arrival": candidate.arrival,
        "travel_s": candidate.travel_s,
        "travel_m": candidate.travel_m,
        "rating_average": candidate.rating_average,
        "rating_count": candidate.rating_count,
        "sla_slack_s": candidate.sla_slack_s,
        "terms": [
            {"name": t.name, "value": t.value, "weight": t.weight, "contribution": t.contribution}
            for t in candidate.terms
        ],
        **extra,
    }


def _candidate_from(offer: Offer) -> RankedCandidate | None:
    """Rebuild the ranked entry stored on an offer (to explain "why not you" at accept time)."""
    return candidate_from_explanation(offer.technician_id, offer.explanation)


def candidate_from_explanation(technician_id: uuid.UUID, e: dict[str, Any]) -> RankedCandidate | None:
    """A ranked entry from its stored explanation (an offer's, or a ledger row's terms)."""
    if not e.get("terms"):
        return None
    return RankedCandidate(
        technician_id=str(technician_id),
        rank=int(e.get("rank", 0)),
        cost=int(e.get("cost", 0)),
        arrival=int(e.get("arrival", 0)),
        travel_s=int(e.get("travel_s", 0)),
        travel_m=int(e.get("travel_m", 0)),
        terms=tuple(
            TermValue(t["name"], float(t["value"]), float(t["weight"]), int(t["contribution"]))
            for t in e["terms"]
        ),
        rating_average=e.get("rating_average"),
        rating_count=int(e.get("rating_count", 0)),
        sla_slack_s=e.get("sla_slack_s"),
    )


async def _record_missed(
    session: AsyncSession,
    technician_id: uuid.UUID,
    work_order_id: uuid.UUID,
    *,
    code: str,
    reason: str,
    offer_id: uuid.UUID | None = None,
    now: datetime,
    tell: bool = True,
) -> None:
    inserted = await insert_ignoring_conflicts(
        session,
        MissedOffer,
        {
            "id": uuid.uuid4(),
            "technician_id": technician_id,
            "work_order_id": work_order_id,
            "offer_id": offer_id,
            "reason_code": code[:64],
            "reason": reason[:500],
            "created_at": now,
        },
        conflict_columns=["technician_id", "work_order_id"],
    )
    if inserted and tell:
        order = await session.get(WorkOrder, work_order_id)
        if order is not None:
            await notices.missed_offer(session, technician_id, order, reason=reason[:500], now=now)


# --------------------------------------------------------------------------- creating offers


def offer_window(appointment: Appointment | None, arrival: int) -> tuple[datetime, datetime]:
    """What an offer promises: the booked window, else an hour from the ranked arrival."""
    if appointment is not None:
        return appointment.window_start, appointment.window_end
    start = from_epoch(arrival)
    return start, start + timedelta(hours=1)


async def write_offers(
    session: AsyncSession,
    order: WorkOrder,
    picks: list[tuple[uuid.UUID, RankedCandidate]],
    *,
    round_no: int,
    appointment: Appointment | None,
    expires_at: datetime,
    now: datetime,
    accepted: bool = False,
    **explanation: Any,
) -> list[Offer]:
    """The one writer of `Offer` rows: one per picked technician, with the ranked explanation,
    the pay from the order's quote and the fairness ledger's `offered` rows. `accepted` writes
    an offer already taken (a technician who opted into auto-accept)."""
    offers: list[Offer] = []
    for technician_id, cand in picks:
        window_start, window_end = offer_window(appointment, cand.arrival)
        offer = Offer(
            work_order_id=order.id,
            technician_id=technician_id,
            round=round_no,
            score=float(-cand.cost),
            explanation=offer_explanation(cand, **explanation),
            window_start=window_start,
            window_end=window_end,
            earnings_minor=earnings_for(order),
            currency=order.currency,
            expires_at=expires_at,
        )
        if accepted:
            offer.status = OfferStatus.ACCEPTED.value
            offer.responded_at = now
        session.add(offer)
        offers.append(offer)
    await session.flush()
    await ledger.offers_made(session, order, offers, now=now)
    return offers


async def announce_offers(
    session: AsyncSession,
    order: WorkOrder,
    offers: list[Offer],
    *,
    round_no: int,
    actor: Principal | None,
    now: datetime,
    why: str | None = None,
) -> None:
    """A round's offers are out: the order moves to `offered` (or records another round) and
    each technician hears about their offer."""
    data: dict[str, Any] = {"round": round_no, "offer_ids": [str(o.id) for o in offers]}
    if why is not None:
        data["dispatch"] = why
    if order.status != WorkOrderStatus.OFFERED:
        reason = f"offered ({why})" if why else f"offered to {len(offers)} technician(s)"
        await transition(
            session, order, WorkOrderStatus.OFFERED, actor=actor, reason=reason, data=data, now=now
        )
    else:
        reason = f"round {round_no} ({why})" if why else f"round {round_no}"
        await record_event(session, order, "offers_sent", actor=actor, reason=reason, data=data, now=now)
    for offer in offers:
        user_id = await technician_user_id(session, offer.technician_id)
        await DEFAULT_NOTIFIER.send(
            session,
            Message(
                dedupe_key=f"offer-new:{offer.id}",
                kind="offer.new",
                subject=f"New job offer: {order.summary[:120]}",
                recipient_user_id=user_id,
                work_order_id=order.id,
                data={"offer_id": str(offer.id)},
                webhook=False,
            ),
            now=now,
        )
        await notices.offer_made(session, order, offer, now=now)


async def create_offers_for_work_order(
    session: AsyncSession,
    work_order_id: uuid.UUID,
    *,
    now: datetime,
    max_offers: int = 3,
    ttl_s: int | None = None,
    actor: Principal | None = None,
) -> OfferRound:
    """Rank technicians for the order with `dispatch` and offer it to the best `max_offers`.

    Technicians asked in an earlier round are not asked again. The order moves to
    `offered` when at least one offer is made; with nobody feasible, nothing changes and
    the round's `outcome` tells the caller (needs_callback / no_qualified_technician).
    Safe to call from a task that may run twice: the second call only asks new people.
    """
    order = await lock_work_order(session, work_order_id)
    if WorkOrderStatus(order.status) not in OFFERABLE:
        raise WorkOrderNotOfferable(
            f"A work order in status {order.status} cannot be offered", current_status=order.status
        )
    previous = list((await session.execute(select(Offer).where(Offer.work_order_id == order.id))).scalars())
    if any(o.status == OfferStatus.ACCEPTED for o in previous):
        raise WorkOrderNotOfferable("This work order already has an accepted offer")
    round_no = max((o.round for o in previous), default=0) + 1
    appointment = await live_appointment(session, order.id)
    customer = await session.get(Customer, order.customer_id)
    visit = to_visit(order, appointment, customer, now)
    horizon = from_epoch(visit.window.end + visit.duration_s) + timedelta(hours=1)
    techs, rows = await load_technicians(
        session, order, now=now, horizon_end=horizon, exclude={o.technician_id for o in previous}
    )
    # The technician's own price floor is a hard filter too.
    priced_out = [
        t
        for t in techs
        if rows[t.id].price_floor_minor is not None
        and earnings_for(order) < (rows[t.id].price_floor_minor or 0)
    ]
    techs = [t for t in techs if t not in priced_out]
    ranking = rank_candidates(
        visit, techs, to_epoch(now), weights=DEFAULT_WEIGHTS, limit=max(max_offers, 1) + 20
    )

    offers = await write_offers(
        session,
        order,
        [(rows[cand.technician_id].id, cand) for cand in ranking.candidates[:max_offers]],
        round_no=round_no,
        appointment=appointment,
        expires_at=now + timedelta(seconds=ttl_s if ttl_s is not None else default_offer_ttl_s()),
        now=now,
    )
    if offers:
        await session.execute(
            sa.delete(MissedOffer).where(
                col(MissedOffer.work_order_id) == order.id,
                col(MissedOffer.technician_id).in_([o.technician_id for o in offers]),
            )
        )

    # "Why not you" for people who were close but not asked.
    for cand in ranking.candidates[max_offers:]:
        reason = ranking.why_not(cand.technician_id)
        await ledger.record(
            session,
            order,
            uuid.UUID(cand.technician_id),
            DecisionKind.RANKED,
            now=now,
            explanation=offer_explanation(cand),
            reason_code="ranked_lower",
            reason=reason,
        )
        await _record_missed(
            session,
            uuid.UUID(cand.technician_id),
            order.id,
            code="ranked_lower",
            reason=reason,
            now=now,
            tell=False,  # told once the job is decided (`_settle_receipts`)
        )
    evaluated = ranking.candidate_set.evaluated
    pool = ranking.candidate_set.pool
    for row, kind, detail in zip(
        evaluated.rows.tolist(), evaluated.kind.tolist(), evaluated.detail.tolist(), strict=True
    ):
        if kind in _TELLABLE_EXCLUSIONS:
            reason = format_reason(visit, kind, detail) or ""
            await ledger.record(
                session,
                order,
                uuid.UUID(pool.ids[row]),
                DecisionKind.EXCLUDED,
                now=now,
                reason_code=reason.partition(":")[0],
                reason=explain_exclusion(reason),
            )
            await _record_missed(
                session,
                uuid.UUID(pool.ids[row]),
                order.id,
                code=reason.partition(":")[0],
                reason=explain_exclusion(reason),
                now=now,
            )
    for t in priced_out:
        await ledger.record(
            session,
            order,
            uuid.UUID(t.id),
            DecisionKind.EXCLUDED,
            now=now,
            reason_code="below_price_floor",
            reason="the job paid less than your minimum price",
        )
        await _record_missed(
            session,
            uuid.UUID(t.id),
            order.id,
            code="below_price_floor",
            reason="the job paid less than your minimum price",
            now=now,
        )

    if offers:
        await announce_offers(session, order, offers, round_no=round_no, actor=actor, now=now)
    earliest = ranking.earliest_option
    return OfferRound(
        work_order_id=order.id,
        round=round_no,
        offers=offers,
        outcome=Outcome.RANKED.value if offers else ranking.status.value,
        earliest_arrival=from_epoch(earliest.arrival) if earliest else None,
        feasible_count=ranking.feasible_count,
    )


# --------------------------------------------------------------------------- reading


async def _own_offer(session: AsyncSession, principal: Principal, offer_id: uuid.UUID) -> Offer:
    technician_id = own_technician_id(principal)
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.technician_id != technician_id:
        raise NotFound("No such offer")  # someone else's offer looks exactly like a missing one
    return offer


async def get_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, now: datetime
) -> OfferView:
    offer = await _own_offer(session, principal, offer_id)
    order = await session.get(WorkOrder, offer.work_order_id)
    assert order is not None
    return OfferView(offer, order, effective_status(offer, now))


async def list_offers(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page[OfferView]:
    """The technician's offers, newest first. `status=pending` hides ones past their expiry."""
    technician_id = own_technician_id(principal)
    query = select(Offer).where(Offer.technician_id == technician_id)
    if status == OfferStatus.PENDING:
        query = query.where(Offer.status == OfferStatus.PENDING, col(Offer.expires_at) > now)
    elif status == OfferStatus.EXPIRED:
        query = query.where(
            sa.or_(
                col(Offer.status) == OfferStatus.EXPIRED,
                sa.and_(col(Offer.status) == OfferStatus.PENDING, col(Offer.expires_at) <= now),
            )
        )
    elif status:
        query = query.where(Offer.status == status)
    page = await keyset_page(
        session,
        query,
        sort_column=col(Offer.created_at),
        id_column=col(Offer.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda o: o.created_at,
        id_of=lambda o: o.id,
        descending=True,
    )
    orders = await _work_orders_by_id(session, {o.work_order_id for o in page.items})
    return Page(
        [OfferView(o, orders[o.work_order_id], effective_status(o, now)) for o in page.items],
        page.next_cursor,
    )


async def list_missed_offers(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[tuple[MissedOffer, WorkOrder]]:
    """Receipts for jobs the technician was considered for and did not get, newest first."""
    technician_id = own_technician_id(principal)
    page = await keyset_page(
        session,
        select(MissedOffer).where(MissedOffer.technician_id == technician_id),
        sort_column=col(MissedOffer.created_at),
        id_column=col(MissedOffer.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda m: m.created_at,
        id_of=lambda m: m.id,
        descending=True,
    )
    orders = await _work_orders_by_id(session, {m.work_order_id for m in page.items})
    return Page([(m, orders[m.work_order_id]) for m in page.items], page.next_cursor)


async def _work_orders_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, WorkOrder]:
    """The work orders behind one page of offers or receipts, in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(WorkOrder).where(col(WorkOrder.id).in_(ids)))
    return {order.id: order for order in rows.scalars()}


# --------------------------------------------------------------------------- receipts


async def settle_receipts(session: AsyncSession, order: WorkOrder, won: Offer, *, now: datetime) -> int:
    """Once the job is decided: a "why not you" receipt for every technician the ledger
    says was ranked or offered and did not win (one per technician and order; an earlier
    receipt stands). The reason compares them with the winner's score terms."""
    winner = _candidate_from(won)
    rows = list(
        (
            await session.execute(
                select(DispatchDecision).where(
                    DispatchDecision.work_order_id == order.id,
                    DispatchDecision.technician_id != won.technician_id,
                    col(DispatchDecision.kind).in_(
                        [DecisionKind.RANKED, DecisionKind.OFFERED, DecisionKind.DECLINED]
                    ),
                )
            )
        ).scalars()
    )
    declined = {r.technician_id for r in rows if r.kind == DecisionKind.DECLINED}
    told = 0
    for technician_id in sorted({r.technician_id for r in rows}):
        if technician_id in declined:
            code, reason = "declined", "you declined the offer"
        else:
            entry = next((r for r in rows if r.technician_id == technician_id and r.terms), None)
            loser = (
                candidate_from_explanation(technician_id, {"terms": entry.terms, **_facts(entry)})
                if entry is not None
                else None
            )
            code = "ranked_lower"
            reason = (
                why_not(winner, loser)
                if winner is not None and loser is not None
                else "another technician was chosen for this job"
            )
        offer_id = next((r.offer_id for r in rows if r.technician_id == technician_id and r.offer_id), None)
        await _record_missed(
            session, technician_id, order.id, code=code, reason=reason, offer_id=offer_id, now=now
        )
        told += 1
    # Receipts written earlier without a message (ranked lower at offer time) are told now.
    quiet = (
        await session.execute(
            select(MissedOffer).where(
                MissedOffer.work_order_id == order.id,
                MissedOffer.technician_id != won.technician_id,
                MissedOffer.reason_code == "ranked_lower",
            )
        )
    ).scalars()
    for receipt in quiet:
        await notices.missed_offer(session, receipt.technician_id, order, reason=receipt.reason, now=now)
    return told


def _facts(row: DispatchDecision) -> dict[str, Any]:
    return {
        "rank": row.rank or 0,
        "cost": row.cost or 0,
        "travel_s": row.travel_s or 0,
        "travel_m": row.travel_m or 0,
    }


# --------------------------------------------------------------------------- answering


async def accept_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, now: datetime
) -> OfferView:
    """Take the job. Exactly one accept per work order wins; the rest get `OfferTaken` (409).

    Accepting an offer you already accepted returns it again (a retry over a bad network).
    On success the other pending offers are withdrawn (their technicians get a "why not
    you" receipt) and the work order moves to `assigned`.
    """
    offer = await _own_offer(session, principal, offer_id)
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
    tech_query = select(Technician).where(Technician.id == offer.technician_id)
    if supports_row_locks(session):
        tech_query = tech_query.with_for_update(read=True)  # a concurrent suspension waits or wins
    tech = (await session.execute(tech_query)).scalar_one()
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
    winner = _candidate_from(offer)
    others = list(
        (
            await session.execute(
                select(Offer).where(
                    Offer.work_order_id == order.id, Offer.status == OfferStatus.PENDING, Offer.id != offer.id
                )
            )
        ).scalars()
    )
    for other in others:
        other.status = OfferStatus.WITHDRAWN.value
        other.responded_at = now
        loser = _candidate_from(other)
        reason = why_not(winner, loser) if winner and loser else "another technician accepted the job first"
        if winner and loser and loser.cost <= winner.cost:
            reason = "another technician accepted the job first"
        await ledger.offer_closed(
            session, order, other, DecisionKind.LOST, now=now, reason_code="taken", reason=reason
        )
        await _record_missed(
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
    appointment = await live_appointment(session, order.id)
    if appointment is not None:
        appointment.technician_id = tech.id
        arrival = offer.explanation.get("arrival")
        if arrival:
            appointment.planned_arrival = from_epoch(int(arrival))
            appointment.eta = appointment.planned_arrival
    await session.flush()
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
            data={"technician_id": str(tech.id)},
            webhook=False,
        ),
        now=now,
    )
    eta = (appointment.eta if appointment is not None else None) or offer.window_start or now
    await compose(
        session,
        Outgoing(
            to_customer(order.customer_id),
            "technician_assigned",
            {"technician": tech.display_name, "eta": eta},
            now=now,
            dedupe_key=f"offer-accepted:{order.id}:{offer.id}",
            work_order_id=order.id,
        ),
    )
    return OfferView(offer, order, offer.status)


async def decline_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    *,
    reason: str | None,
    now: datetime,
) -> OfferView:
    """Say no (with an optional reason, recorded). Declining twice returns the first answer."""
    offer = await _own_offer(session, principal, offer_id)
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
    await _after_offer_closed(session, order, offer.round, now=now)
    return OfferView(offer, order, offer.status)


async def _after_offer_closed(
    session: AsyncSession, order: WorkOrder, round_no: int, *, now: datetime
) -> None:
    """When the last pending offer of a round closes, ask the next people (a task)."""
    still_open = (
        await session.execute(
            select(sa.func.count())
            .select_from(Offer)
            .where(
                Offer.work_order_id == order.id,
                col(Offer.status).in_([OfferStatus.PENDING, OfferStatus.ACCEPTED]),
            )
        )
    ).scalar_one()
    if still_open == 0 and order.status == WorkOrderStatus.OFFERED:
        await outbox.enqueue(
            session,
            "offers.next_round",
            {"work_order_id": str(order.id)},
            dedupe_key=f"offers-next-round:{order.id}:{round_no}",
            now=now,
        )


async def expire_due_offers(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Mark pending offers past their expiry as expired (a periodic task). Returns how many."""
    due = list(
        (
            await session.execute(
                select(Offer.work_order_id)
                .where(Offer.status == OfferStatus.PENDING, col(Offer.expires_at) <= now)
                .distinct()
                .limit(limit)
            )
        ).scalars()
    )
    count = 0
    for work_order_id in sorted(due):
        order = await lock_work_order(session, work_order_id)
        offers = list(
            (
                await session.execute(
                    select(Offer).where(
                        Offer.work_order_id == work_order_id,
                        Offer.status == OfferStatus.PENDING,
                        col(Offer.expires_at) <= now,
                    )
                )
            ).scalars()
        )
        for offer in offers:
            offer.status = OfferStatus.EXPIRED.value
            await ledger.offer_closed(
                session, order, offer, DecisionKind.EXPIRED, now=now, reason_code="offer_expired"
            )
            await _record_missed(
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
            await _after_offer_closed(session, order, max(o.round for o in offers), now=now)
    return count


async def withdraw_pending_offers_of_technician(
    session: AsyncSession, technician_id: uuid.UUID, *, reason: str, now: datetime
) -> int:
    """Withdraw a technician's open offers (suspension). Returns how many."""
    offers = list(
        (
            await session.execute(
                select(Offer).where(Offer.technician_id == technician_id, Offer.status == OfferStatus.PENDING)
            )
        ).scalars()
    )
    for offer in offers:
        offer.status = OfferStatus.WITHDRAWN.value
        offer.responded_at = now
        offer.decline_reason = reason[:500]
    await session.flush()
    for offer in offers:
        order = await session.get(WorkOrder, offer.work_order_id)
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


async def offer_next_round(
    session: AsyncSession, work_order_id: uuid.UUID, *, now: datetime
) -> OfferRound | None:
    """Task body: if the order is still `offered` with nobody pending or accepted, ask the next people."""
    order = await lock_work_order(session, work_order_id)
    if order.status != WorkOrderStatus.OFFERED:
        return None
    open_count = (
        await session.execute(
            select(sa.func.count())
            .select_from(Offer)
            .where(
                Offer.work_order_id == order.id,
                col(Offer.status).in_([OfferStatus.PENDING, OfferStatus.ACCEPTED]),
            )
        )
    ).scalar_one()
    if open_count:
        return None
    # Urgent unbooked orders follow the instant-dispatch cascade (one targeted
    # offer at a time, short expiry, widen the radius / escalate after N misses).
    from marketplace.dispatching.instant import continue_cascade

    if await continue_cascade(session, order, now=now):
        return None
    result = await create_offers_for_work_order(session, work_order_id, now=now)
    if not result.offers:
        await record_event(
            session,
            order,
            "offers_exhausted",
            actor=None,
            reason=f"nobody left to ask ({result.outcome})",
            data={
                "earliest_arrival": result.earliest_arrival.isoformat() if result.earliest_arrival else None
            },
            now=now,
        )
        await DEFAULT_NOTIFIER.send(
            session,
            Message(
                dedupe_key=f"offers-exhausted:{order.id}:{result.round}",
                kind="work_order.offers_exhausted",
                subject=f"No technician took work order {order.id}: dispatcher action needed",
                recipient_role="dispatcher",
                work_order_id=order.id,
                webhook=False,
            ),
            now=now,
        )
    return result
