"""Bookings' reactions to other domains' events: whether a new order can be placed at all, who
holds the booked time, and releasing it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.bookings import repository
from marketplace.bookings.models import AppointmentStatus
from marketplace.bookings.repository import live_appointment
from marketplace.bookings.slots import Availability, search_slots
from marketplace.events import OfferAccepted, PaymentDeclined, WorkOrderTriaged
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.timeutil import from_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import transition


async def assign_booked_time(session: AsyncSession, event: OfferAccepted) -> None:
    """The technician who took the job holds its booked time, arriving when their ranking said."""
    appointment = await live_appointment(session, event.order.id)
    if appointment is None:
        return
    appointment.technician_id = event.technician_id
    if event.arrival is not None:
        appointment.planned_arrival = event.arrival
        appointment.eta = appointment.planned_arrival
    await session.flush()


async def release_declined_booking(session: AsyncSession, event: PaymentDeclined) -> None:
    """A declined card releases the booked window it was authorising."""
    if event.appointment_id is None:
        return
    appointment = await repository.appointment(session, event.appointment_id)
    if appointment is not None and appointment.status == AppointmentStatus.BOOKED:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = event.now


async def flag_if_unplaceable(session: AsyncSession, event: WorkOrderTriaged) -> None:
    """Better the right person later than the wrong person now: when no qualified
    technician can finish within the SLA, the order goes to `needs_callback` with the
    earliest qualified option as an honest ETA, and support is told."""
    order, customer, now = event.order, event.customer, event.now
    found = await search_slots(
        session, order, tier=customer.tier, tz=customer.timezone, now=now, days=event.horizon_days
    )
    if found.availability is Availability.AVAILABLE:
        return
    earliest = found.earliest
    data: dict[str, Any] = {
        "availability": found.availability.value,
        "qualified": found.qualified_technicians,
    }
    if earliest is not None:
        data["earliest_arrival"] = from_epoch(earliest.earliest_arrival).isoformat()
        data["earliest_window"] = [
            from_epoch(earliest.start).isoformat(),
            from_epoch(earliest.end).isoformat(),
        ]
    reason = {
        Availability.SLA_AT_RISK: "no qualified technician can finish within the SLA",
        Availability.NO_AVAILABILITY: "no qualified technician is free in the booking horizon",
        Availability.NO_QUALIFIED_TECHNICIAN: "no qualified technician serves this location",
    }[found.availability]
    await transition(session, order, S.NEEDS_CALLBACK, actor=None, reason=reason, data=data, now=now)
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"needs-callback:{order.id}:{order.updated_at.isoformat()}",
            kind="work_order.needs_callback",
            subject=f"Work order needs a call: {reason}",
            body=order.summary,
            recipient_role=Role.AGENT.value,
            work_order_id=order.id,
            data=data,
            webhook=False,
        ),
        now=now,
    )
