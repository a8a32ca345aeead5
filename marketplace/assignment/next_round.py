"""The next offer round of a work order, once nobody is left pending: the instant cascade for
urgent unbooked orders, a ranked round (`offers.rounds`) for the rest, the dispatcher told
when nobody is left to ask."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment.instant import continue_cascade
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.offers.reads import open_offer_count
from marketplace.offers.rounds import OfferRound, create_offers_for_work_order
from marketplace.work_orders.models import WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event


async def offer_next_round(
    session: AsyncSession, work_order_id: uuid.UUID, *, now: datetime
) -> OfferRound | None:
    """Task body: if the order is still `offered` with nobody pending or accepted, ask the next people."""
    order = await lock_work_order(session, work_order_id)
    if order.status != WorkOrderStatus.OFFERED:
        return None
    if await open_offer_count(session, order.id):
        return None
    # Urgent unbooked orders follow the instant-dispatch cascade (one targeted
    # offer at a time, short expiry, widen the radius / escalate after N misses).
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
