"""Work orders' reactions to other domains' events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.events import PaymentDeclined
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import transition

BOOKED_STATES = frozenset({S.SCHEDULED, S.OFFERED, S.ASSIGNED})


async def call_back_after_decline(session: AsyncSession, event: PaymentDeclined) -> None:
    """A booked order whose card was declined needs a call from support."""
    order = event.order
    if S(order.status) in BOOKED_STATES:
        await transition(
            session,
            order,
            S.NEEDS_CALLBACK,
            actor=None,
            reason=f"Payment declined ({event.code}); the appointment was released",
            data={"payment_id": str(event.payment_id)},
            now=event.now,
        )
