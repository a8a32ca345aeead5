"""Work nobody booked still gets done: hold a window for a customer who did not book in time.

Priority 3 and 4 orders wait in `triaged` for the customer to pick a window. After the
policy time for their tier and priority (`HoldPolicy.hold_after_s`) without a booking,
`hold_window` reserves the earliest window that meets the SLA (the earliest qualified one
when none does: right skill later) as a live appointment with `hold_confirm_at` set, and
tells the customer. At that instant `confirm_hold` books it for real (`scheduled`, card
authorisation, booking confirmation), unless the customer booked a window of their own
first (which releases the hold: `bookings.service.book_appointment`).

Race safety: every verb locks the work-order row first and re-reads what it found, so a
customer booking and the worker holding or confirming at the same moment serialise; on
PostgreSQL the one-live-appointment-per-order index and the technician EXCLUDE constraint
settle anything that slips through (a refused hold is simply retried by the next sweep).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events
from marketplace.bookings import repository
from marketplace.bookings.errors import NoQualifiedTechnician, SlotUnavailable
from marketplace.bookings.hold_policy import HoldPolicy
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.bookings.repository import live_appointment
from marketplace.bookings.service import release_hold, reserve_window
from marketplace.bookings.slots import SlotOption, search_slots
from marketplace.messages import notices
from marketplace.notifications.service import send_notification
from marketplace.timeutil import to_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import lock_work_order, record_event, transition


@dataclass
class HoldSweep:
    held: int = 0
    confirmed: int = 0


async def orders_due_a_hold(
    session: AsyncSession, *, now: datetime, config: HoldPolicy, limit: int = 200
) -> list[uuid.UUID]:
    """Unbooked, non-urgent `triaged` orders older than their tier's and priority's hold time."""
    policy = [v for v in config.hold_after_s.values() if v >= 0]
    if not policy:
        return []
    rows = await repository.unbooked_triaged_orders(
        session,
        urgent_priority=config.urgent_priority,
        created_until=now - timedelta(seconds=min(policy)),
        limit=limit,
    )
    due = []
    for order_id, priority, created_at, tier in rows:
        wait = config.hold_after(tier, priority)
        if wait is not None and created_at + timedelta(seconds=wait) <= now:
            due.append(order_id)
    return due


def _pick(slots: tuple[SlotOption, ...], not_before: int) -> SlotOption | None:
    usable = sorted((s for s in slots if s.start >= not_before), key=lambda s: (s.start, s.end))
    return next((s for s in usable if s.meets_sla), usable[0] if usable else None)


async def hold_window(
    session: AsyncSession, order_id: uuid.UUID, *, now: datetime, config: HoldPolicy
) -> Appointment | None:
    """Hold the earliest SLA-meeting window for an order nobody booked; None when it is not
    (or no longer) due, or nothing can be held right now."""
    order = await lock_work_order(session, order_id)
    if order.status != S.TRIAGED or order.priority <= config.urgent_priority:
        return None
    if await live_appointment(session, order.id) is not None:
        return None  # the customer (or an earlier sweep) got there first
    customer = await repository.booking_customer(session, order)
    assert customer is not None  # FK
    found = await search_slots(session, order, tier=customer.tier, tz=customer.timezone, now=now)
    choice = _pick(found.slots, to_epoch(now) + config.hold_min_notice_s)
    if choice is None:
        return None
    try:
        appointment, meets_sla = await reserve_window(
            session, order, customer, (choice.start, choice.end), now=now
        )
    except (SlotUnavailable, NoQualifiedTechnician):
        return None  # taken in the meantime: the next sweep looks again
    latest = appointment.window_start - timedelta(seconds=config.hold_confirm_lead_s)
    appointment.hold_confirm_at = max(now, min(now + timedelta(seconds=config.hold_confirm_after_s), latest))
    await session.flush()
    await record_event(
        session,
        order,
        "slot_held",
        actor=None,
        reason="the customer did not book in time: the earliest window that meets the SLA is held",
        data={
            "appointment_id": str(appointment.id),
            "window": [appointment.window_start.isoformat(), appointment.window_end.isoformat()],
            "confirm_at": appointment.hold_confirm_at.isoformat(),
            "meets_sla": meets_sla,
        },
        now=now,
    )
    await notices.slot_held(session, order, appointment, now=now)
    return appointment


async def holds_due(session: AsyncSession, *, now: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Held windows whose confirmation time has come, the earliest first."""
    return await repository.holds_to_confirm(session, now=now, limit=limit)


async def confirm_hold(session: AsyncSession, appointment_id: uuid.UUID, *, now: datetime) -> bool:
    """Book a held window whose confirmation time has come. False when there is nothing to
    confirm any more (the customer booked another window, or cancelled)."""
    found = await repository.appointment(session, appointment_id)
    if found is None:
        return False
    order = await lock_work_order(session, found.work_order_id)
    held = await live_appointment(session, order.id)  # re-read under the lock
    if held is None or held.id != appointment_id or held.hold_confirm_at is None:
        return False
    await session.refresh(held)
    if held.status != AppointmentStatus.BOOKED or held.hold_confirm_at is None or held.hold_confirm_at > now:
        return False
    if held.window_start <= now or order.status != S.TRIAGED:
        await release_hold(session, order, held, reason="the held window can no longer be confirmed", now=now)
        return False
    held.hold_confirm_at = None
    meets_sla = order.sla_due_at is None or (
        held.planned_arrival is not None
        and held.planned_arrival + timedelta(seconds=order.duration_s) <= order.sla_due_at
    )
    await transition(
        session,
        order,
        S.SCHEDULED,
        actor=None,
        reason="held window confirmed: the customer did not pick another",
        data={
            "appointment_id": str(held.id),
            "window": [held.window_start.isoformat(), held.window_end.isoformat()],
            "reserved_technician_id": str(held.technician_id) if held.technician_id else None,
            "meets_sla": meets_sla,
        },
        now=now,
    )
    if not meets_sla:
        await send_notification(
            session,
            dedupe_key=f"sla-at-risk:{held.id}",
            kind="work_order.sla_at_risk",
            subject="Held window confirmed after the SLA due time",
            body=order.summary,
            recipient_role=Role.AGENT.value,
            work_order_id=order.id,
            data={"window_start": held.window_start.isoformat()},
        )
    await events.publish(session, events.AppointmentBooked(order, held, now))
    await notices.booking_confirmed(session, order, held, meets_sla=meets_sla, now=now)
    return True
