"""Offer rounds: who gets asked (ranked by `dispatch`), the one writer of `Offer` rows, and
the announcement of a round to the technicians it asks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.candidates import CANNOT_ARRIVE, CERT_EXPIRED, MISSING_CERT, format_reason
from dispatch.matching import Outcome, rank_candidates
from dispatch.scoring import (
    RankedCandidate,
    explain_candidate,
    explain_exclusion,
)
from marketplace.auth import Principal
from marketplace.bookings.models import Appointment
from marketplace.bookings.repository import live_appointment
from marketplace.fairness import ledger
from marketplace.fairness.models import DecisionKind
from marketplace.fairness.weights import score_weights
from marketplace.messages import notices
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, technician_user_id
from marketplace.offers import repository
from marketplace.offers.config import default_offer_ttl_s
from marketplace.offers.dispatch_adapter import load_technicians, to_visit
from marketplace.offers.errors import WorkOrderNotOfferable
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.receipts import record_missed
from marketplace.pricing.service import technician_pay
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
    previous = await repository.offers_of_order(session, order.id)
    if any(o.status == OfferStatus.ACCEPTED for o in previous):
        raise WorkOrderNotOfferable("This work order already has an accepted offer")
    round_no = max((o.round for o in previous), default=0) + 1
    appointment = await live_appointment(session, order.id)
    customer = await repository.order_customer(session, order)
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
        visit, techs, to_epoch(now), weights=score_weights(), limit=max(max_offers, 1) + 20
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
        await repository.forget_missed_offers(session, order.id, [o.technician_id for o in offers])

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
        await record_missed(
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
            await record_missed(
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
        await record_missed(
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
