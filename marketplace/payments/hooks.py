"""Where the booking and visit flows hand over to money. Owned by the money issue (#6).

Each hook runs inside the caller's transaction and may only write rows and enqueue outbox
tasks (Stripe is never called inside an HTTP request). Until #6 lands they record nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.bookings.models import Appointment
from marketplace.work_orders.models import WorkOrder


async def on_appointment_booked(session: AsyncSession, order: WorkOrder, appointment: Appointment) -> None:
    """Quote the order if needed and start authorising the customer's payment."""


async def on_appointment_cancelled(
    session: AsyncSession, order: WorkOrder, appointment: Appointment, *, cancellation_fee_minor: int
) -> None:
    """Release the authorisation, or capture/refund per the cancellation fee."""


async def on_visit_completed(session: AsyncSession, order: WorkOrder) -> None:
    """Capture the payment (adjusted within the authorised amount) and schedule the payout."""
