"""Rank the qualified technicians for an order that must be dispatched now (expedite).

Records the ranking (who, arrival, why) on the work order and tells dispatchers. It never
assigns anyone: the offer flow (`marketplace.offers`) acts on the same request.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.matching import rank_candidates
from dispatch.scoring import explain_candidate
from marketplace.assignment import repository
from marketplace.bookings.dispatch_adapter import visit_for
from marketplace.bookings.slots import load_pool
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.work_orders.state import TERMINAL, record_event

RANKED_SHOWN = 3


async def rank_for_dispatch_request(
    session: AsyncSession, work_order_id: uuid.UUID, *, reason: str, now: datetime
) -> dict[str, Any] | None:
    """The ranking recorded on the order (`dispatch_ranked` event), or None for a closed order."""
    order = await repository.work_order(session, work_order_id)
    if order is None or order.status in TERMINAL:
        return None
    customer = await repository.customer(session, order.customer_id)
    now_s = to_epoch(now)
    pool = await load_pool(session, order, now, 1)
    data: dict[str, Any] = {"reason": reason, "candidates": []}
    if pool is not None:
        ranking = rank_candidates(
            visit_for(order, (now_s, now_s + 86_400), tier=customer.tier if customer else "standard"),
            pool,
            now_s,
            limit=RANKED_SHOWN,
        )
        data["outcome"] = ranking.status.value
        data["candidates"] = [
            {
                "technician_id": c.technician_id,
                "arrival": from_epoch(c.arrival).isoformat(),
                "why": list(explain_candidate(c)),
            }
            for c in ranking.candidates
        ]
    else:
        data["outcome"] = "no_qualified_technician"
    await record_event(session, order, "dispatch_ranked", actor=None, reason=reason, data=data, now=now)
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"dispatch-requested:{order.id}:{now_s}",
            kind="work_order.dispatch_requested",
            subject=f"Dispatch now ({reason}): {order.summary[:120]}",
            recipient_role="dispatcher",
            work_order_id=order.id,
            data=data,
            webhook=False,
        ),
        now=now,
    )
    return data
