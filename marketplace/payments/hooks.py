"""Where the booking and visit flows hand over to money.

Each hook runs inside the caller's transaction and only writes rows and enqueues outbox
tasks (Stripe is never called inside an HTTP request); see `marketplace/payments/__init__.py`
for the payment states. While the authorisation task has not succeeded the appointment is
"booked, pending payment" (`payments.records.payment_ready` is False); a decline cancels the
appointment, moves the work order to `needs_callback` and notifies the customer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.bookings.models import Appointment
from marketplace.payments import authorise, cancel, capture
from marketplace.work_orders.models import WorkOrder


async def on_appointment_booked(
    session: AsyncSession, order: WorkOrder, appointment: Appointment, *, now: datetime
) -> None:
    """Quote the order if needed and start authorising the customer's payment."""
    await authorise.start_authorization(session, order, appointment, now=now)


async def on_appointment_cancelled(
    session: AsyncSession,
    order: WorkOrder,
    appointment: Appointment,
    *,
    cancellation_fee_minor: int,
    now: datetime,
) -> None:
    """Release the authorisation, or capture/refund per the cancellation fee."""
    await cancel.request_cancellation(
        session, order, appointment, cancellation_fee_minor=cancellation_fee_minor, now=now
    )


async def on_visit_completed(session: AsyncSession, order: WorkOrder, *, now: datetime) -> None:
    """Capture the payment (adjusted within the authorised amount) and schedule the payout."""
    await capture.request_capture(session, order, now=now)
