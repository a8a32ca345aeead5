"""Dispatching's reactions to other domains' events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.assignment.config import load_config as load_dispatch_config
from marketplace.assignment.replan import INSTANT_DISPATCH_TASK
from marketplace.events import WorkOrderTriaged
from marketplace.work_orders.models import WorkOrderStatus as S


async def dispatch_now_if_urgent(session: AsyncSession, event: WorkOrderTriaged) -> None:
    """Urgent orders start the instant offer cascade as soon as this transaction commits,
    instead of waiting for the periodic sweep (which remains the safety net). The dedupe key
    is the one the sweep uses for "no offers yet", so the two never double up."""
    order, now = event.order, event.now
    if order.priority <= load_dispatch_config().urgent_priority and order.status == S.TRIAGED:
        await outbox.enqueue(
            session,
            INSTANT_DISPATCH_TASK,
            {"work_order_id": str(order.id)},
            dedupe_key=f"instant:{order.id}:0",
            now=now,
        )
