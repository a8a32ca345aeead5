"""Where bookings and visits hand over to money: payments' reactions to their events.

Each handler runs in the publisher's transaction and only writes rows and enqueues outbox
tasks (Stripe is never called inside an HTTP request; the states are in
`marketplace/payments/__init__.py`). While the authorisation task has not succeeded the
appointment is "booked, pending payment" (`records.payment_ready` is False); a decline is
published as `PaymentDeclined`, and bookings and work orders react to it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.events import AppointmentBooked, AppointmentCancelled, VisitCompleted, WorkOrderExpedited
from marketplace.payments.authorise import start_authorization
from marketplace.payments.cancel import request_cancellation
from marketplace.payments.capture import request_capture
from marketplace.payments.records import price_is_agreed
from marketplace.pricing.service import price_work_order


async def authorise_booking(session: AsyncSession, event: AppointmentBooked) -> None:
    """Quote the order if needed and start authorising the customer's payment."""
    await start_authorization(session, event.order, event.appointment, now=event.now)


async def settle_cancelled_booking(session: AsyncSession, event: AppointmentCancelled) -> None:
    """Release the authorisation, or capture/refund per the cancellation fee."""
    await request_cancellation(
        session,
        event.order,
        event.appointment,
        cancellation_fee_minor=event.cancellation_fee_minor,
        now=event.now,
    )


async def capture_completed_visit(session: AsyncSession, event: VisitCompleted) -> None:
    """Capture the payment (adjusted within the authorised amount); payouts follow the capture."""
    await request_capture(session, event.order, now=event.now)


async def reprice_expedited(session: AsyncSession, event: WorkOrderExpedited) -> None:
    """An expedited order is quoted again at its new priority, unless a card hold already
    keeps the price it was made for."""
    if not await price_is_agreed(session, event.order.id):
        await price_work_order(session, event.order)
