"""Writing the fair-dispatch ledger: who was ranked, offered, and how each offer ended.

Called by every place that creates or closes an offer, inside its transaction. The rows
are facts as of `now`; nothing here reads the clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.fairness import repository
from marketplace.fairness.models import DecisionKind
from marketplace.fairness.repository import decisions_of as decisions_of
from marketplace.offers.models import Offer, OfferStatus
from marketplace.work_orders.models import WorkOrder

# An offer's status -> its final ledger kind (accepted is "won"; withdrawn depends on why).
FINAL_KIND_OF_STATUS = {
    OfferStatus.ACCEPTED: DecisionKind.WON,
    OfferStatus.DECLINED: DecisionKind.DECLINED,
    OfferStatus.EXPIRED: DecisionKind.EXPIRED,
    OfferStatus.WITHDRAWN: DecisionKind.WITHDRAWN,
}


def _from_explanation(explanation: dict[str, Any]) -> dict[str, Any]:
    return {
        "rank": explanation.get("rank"),
        "cost": explanation.get("cost"),
        "travel_s": explanation.get("travel_s"),
        "travel_m": explanation.get("travel_m"),
        "sla_slack_s": explanation.get("sla_slack_s"),
        "terms": list(explanation.get("terms", [])),
    }


def _row(
    order: WorkOrder,
    technician_id: uuid.UUID,
    kind: DecisionKind,
    *,
    now: datetime,
    offer: Offer | None = None,
    explanation: dict[str, Any] | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    facts = _from_explanation(
        explanation if explanation is not None else (offer.explanation if offer else {})
    )
    return {
        "id": uuid.uuid4(),
        "work_order_id": order.id,
        "technician_id": technician_id,
        "offer_id": offer.id if offer is not None else None,
        "region": order.region,
        "kind": kind.value,
        "earnings_minor": offer.earnings_minor if offer is not None else None,
        "reason_code": reason_code[:64] if reason_code else None,
        "reason": reason[:500] if reason else None,
        "at": now,
        **facts,
    }


async def record(
    session: AsyncSession,
    order: WorkOrder,
    technician_id: uuid.UUID,
    kind: DecisionKind,
    *,
    now: datetime,
    offer: Offer | None = None,
    explanation: dict[str, Any] | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
) -> None:
    """Append one non-final fact (ranked, excluded, offered, countered)."""
    values = _row(
        order,
        technician_id,
        kind,
        now=now,
        offer=offer,
        explanation=explanation,
        reason_code=reason_code,
        reason=reason,
    )
    await repository.insert_decision(session, values)


async def offers_made(
    session: AsyncSession, order: WorkOrder, offers: Iterable[Offer], *, now: datetime
) -> None:
    for offer in offers:
        await record(session, order, offer.technician_id, DecisionKind.OFFERED, now=now, offer=offer)


async def offer_closed(
    session: AsyncSession,
    order: WorkOrder,
    offer: Offer,
    kind: DecisionKind,
    *,
    now: datetime,
    reason_code: str | None = None,
    reason: str | None = None,
) -> bool:
    """The offer's one final outcome. A second final outcome for the same offer is ignored
    (the partial unique index decides); True when this call wrote it."""
    values = _row(
        order, offer.technician_id, kind, now=now, offer=offer, reason_code=reason_code, reason=reason
    )
    return await repository.insert_final_decision(session, values)
