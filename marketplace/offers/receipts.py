"""Why-not-you receipts for technicians who were considered and did not get the job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.scoring import (
    RankedCandidate,
    TermValue,
    why_not,
)
from marketplace.db_dialect import insert_ignoring_conflicts
from marketplace.fairness.models import DecisionKind, DispatchDecision
from marketplace.messages import notices
from marketplace.offers import repository
from marketplace.offers.models import MissedOffer, Offer
from marketplace.work_orders.models import WorkOrder


def candidate_from_offer(offer: Offer) -> RankedCandidate | None:
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


async def record_missed(
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
        order = await repository.offered_order(session, work_order_id)
        if order is not None:
            await notices.missed_offer(session, technician_id, order, reason=reason[:500], now=now)


async def settle_receipts(session: AsyncSession, order: WorkOrder, won: Offer, *, now: datetime) -> int:
    """Once the job is decided: a "why not you" receipt for every technician the ledger
    says was ranked or offered and did not win (one per technician and order; an earlier
    receipt stands). The reason compares them with the winner's score terms."""
    winner = candidate_from_offer(won)
    rows = await repository.losing_decisions(session, order.id, won.technician_id)
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
        await record_missed(
            session, technician_id, order.id, code=code, reason=reason, offer_id=offer_id, now=now
        )
        told += 1
    # Receipts written earlier without a message (ranked lower at offer time) are told now.
    for receipt in await repository.ranked_lower_receipts(session, order.id, won.technician_id):
        await notices.missed_offer(session, receipt.technician_id, order, reason=receipt.reason, now=now)
    return told


def _facts(row: DispatchDecision) -> dict[str, Any]:
    return {
        "rank": row.rank or 0,
        "cost": row.cost or 0,
        "travel_s": row.travel_s or 0,
        "travel_m": row.travel_m or 0,
    }
