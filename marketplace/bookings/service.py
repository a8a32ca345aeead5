"""Customer booking verbs: list slots, book, reschedule, cancel.

Race safety: a booking reserves a technician's time ([busy_from, busy_until)) and on
PostgreSQL the `ex_appointments_technician_busy` EXCLUDE constraint refuses a second live
booking overlapping it. Each attempt inserts inside a savepoint; a refused insert tries
the next qualified technician, and when none is left the caller gets a 409
`slot-unavailable` problem listing fresh alternatives (read after the winner committed).
Two tabs booking the same order serialise on the work-order row lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events
from marketplace.auth import Principal
from marketplace.bookings import repository
from marketplace.bookings.availability import Interval, overlaps
from marketplace.bookings.errors import AlreadyBooked, NoAppointment, NoQualifiedTechnician, SlotUnavailable
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.bookings.repository import booked_time, live_appointment
from marketplace.bookings.slots import (
    DEFAULT_DAYS,
    DEFAULT_WINDOW_S,
    SlotOption,
    SlotSearch,
    choose_technicians,
    load_pool,
    search_slots,
)
from marketplace.customers.models import Customer
from marketplace.db_dialect import enforces_exclusions
from marketplace.errors import IllegalTransition, InvalidInput
from marketplace.messages import notices
from marketplace.notifications.service import send_notification
from marketplace.pricing.cancellation import cancellation_fee
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.reads import visible_order
from marketplace.work_orders.state import can_transition, record_event, transition

MIN_WINDOW_S = 3600
MAX_WINDOW_S = 4 * 3600
ALTERNATIVES = 5


@dataclass(frozen=True, slots=True)
class Booking:
    order: WorkOrder
    appointment: Appointment
    meets_sla: bool


@dataclass(frozen=True, slots=True)
class Cancellation:
    order: WorkOrder
    appointment: Appointment
    fee_minor: int
    free_until: datetime


async def _customer(session: AsyncSession, order: WorkOrder) -> Customer:
    customer = await repository.booking_customer(session, order)
    assert customer is not None  # FK
    return customer


async def list_slots(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    window_s: int = DEFAULT_WINDOW_S,
) -> tuple[WorkOrder, SlotSearch]:
    order = await visible_order(session, principal, order_id)
    customer = await _customer(session, order)
    return order, await search_slots(
        session, order, tier=customer.tier, tz=customer.timezone, now=now, days=days, window_s=window_s
    )


def _alternatives(found: SlotSearch) -> list[dict[str, object]]:
    return [slot_json(s) for s in sorted(found.slots, key=lambda s: s.start)[:ALTERNATIVES]]


def _iso(seconds: int) -> str:
    return from_epoch(seconds).isoformat().replace("+00:00", "Z")  # as msgspec writes UTC


def slot_json(s: SlotOption) -> dict[str, object]:
    return {
        "start": _iso(s.start),
        "end": _iso(s.end),
        "earliest_arrival": _iso(s.earliest_arrival),
        "meets_sla": s.meets_sla,
    }


def _check_window(window: Interval, now: datetime) -> None:
    length = window[1] - window[0]
    if not MIN_WINDOW_S <= length <= MAX_WINDOW_S:
        raise InvalidInput("An arrival window lasts between 1 and 4 hours", window_seconds=length)
    if window[1] <= to_epoch(now):
        raise InvalidInput("That arrival window is already over")


async def reserve_window(
    session: AsyncSession, order: WorkOrder, customer: Customer, window: Interval, *, now: datetime
) -> tuple[Appointment, bool]:
    """Insert a live appointment with the best qualified technician who can still make it."""
    now_s = to_epoch(now)
    pool = await load_pool(session, order, now, max((window[1] - now_s) // 86_400 + 1, 1))
    constrained = enforces_exclusions(session)
    for choice in choose_technicians(pool, order, window, tier=customer.tier, now=now_s):
        tech_id = uuid.UUID(choice.technician_id)
        busy = (choice.arrival - choice.travel_s, choice.arrival + order.duration_s)
        if not constrained:  # SQLite has no EXCLUDE: check for a booking made since the pool was read
            taken = await booked_time(session, [tech_id], from_epoch(busy[0]), from_epoch(busy[1]))
            if overlaps(busy, [(f, u) for _t, f, u in taken]):
                continue
        appointment = Appointment(
            work_order_id=order.id,
            customer_id=order.customer_id,
            window_start=from_epoch(window[0]),
            window_end=from_epoch(window[1]),
            technician_id=tech_id,
            planned_arrival=from_epoch(choice.arrival),
            eta=from_epoch(choice.arrival),
            busy_from=from_epoch(busy[0]),
            busy_until=from_epoch(busy[1]),
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(appointment)
                await session.flush()
        except IntegrityError:
            continue  # someone else got this technician's time first: try the next one
        return appointment, choice.meets_sla
    found = await search_slots(session, order, tier=customer.tier, tz=customer.timezone, now=now)
    if found.qualified_technicians == 0:
        raise NoQualifiedTechnician(
            "No technician with the required skills and certifications serves this location; "
            "support will call you back"
        )
    raise SlotUnavailable(
        "Nobody qualified can arrive in that window any more; pick another one",
        alternatives=_alternatives(found),
    )


async def book_appointment(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, window: Interval, *, now: datetime
) -> Booking:
    _check_window(window, now)
    order = await visible_order(session, principal, order_id, lock=True)
    held = await live_appointment(session, order.id)
    if held is not None and held.hold_confirm_at is None:
        raise AlreadyBooked("This work order is already booked; reschedule it instead")
    _require_transition(order, S.SCHEDULED)
    if held is not None:  # the customer picks a window of their own instead of the one we held
        await release_hold(session, order, held, reason="the customer booked a window", now=now)
    customer = await _customer(session, order)
    appointment, meets_sla = await reserve_window(session, order, customer, window, now=now)
    if held is not None:
        held.replaced_by_id = appointment.id
    await transition(
        session,
        order,
        S.SCHEDULED,
        actor=principal,
        reason="arrival window booked",
        data=_booking_data(appointment, meets_sla),
        now=now,
    )
    await _after_booking(session, principal, order, appointment, meets_sla, now=now)
    await events.publish(session, events.AppointmentBooked(order, appointment, now))
    await notices.booking_confirmed(session, order, appointment, meets_sla=meets_sla, now=now)
    return Booking(order, appointment, meets_sla)


async def reschedule_appointment(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, window: Interval, *, now: datetime
) -> Booking:
    _check_window(window, now)
    order = await visible_order(session, principal, order_id, lock=True)
    old = await live_appointment(session, order.id)
    if old is None:
        raise NoAppointment("There is no booked appointment to move; book one first")
    if old.hold_confirm_at is not None:  # moving a held window is booking one
        return await book_appointment(session, principal, order_id, window, now=now)
    _require_transition(order, S.SCHEDULED)
    old.status = AppointmentStatus.RESCHEDULED
    old.cancelled_at = now
    await session.flush()  # frees the old reservation before looking for the new one
    customer = await _customer(session, order)
    new, meets_sla = await reserve_window(session, order, customer, window, now=now)
    old.replaced_by_id = new.id
    released = order.technician_id
    order.technician_id = None  # an accepted offer was for the old window
    await transition(
        session,
        order,
        S.SCHEDULED,
        actor=principal,
        reason="arrival window moved",
        data={
            **_booking_data(new, meets_sla),
            "previous_window": [old.window_start.isoformat(), old.window_end.isoformat()],
            "released_technician_id": str(released) if released else None,
        },
        now=now,
    )
    await _after_booking(session, principal, order, new, meets_sla, now=now)
    await notices.booking_confirmed(session, order, new, meets_sla=meets_sla, now=now)
    return Booking(order, new, meets_sla)


def cancellation_terms(
    principal: Principal,
    order: WorkOrder,
    appointment: Appointment,
    *,
    now: datetime,
    policy: MoneyPolicy | None = None,
) -> tuple[int, datetime]:
    """What cancelling the live appointment at `now` would cost, and until when it is free."""
    terms = cancellation_fee(
        now=now,
        window_start=appointment.window_start,
        price_minor=order.price_minor,
        en_route=order.status == S.EN_ROUTE,
        by_customer=principal.role is Role.CUSTOMER,
        policy=policy or load_policy(),
    )
    fee = 0 if appointment.hold_confirm_at is not None else terms.fee_minor  # a hold was never agreed
    return fee, terms.free_until


async def cancellation_preview(
    session: AsyncSession, principal: Principal, order: WorkOrder, *, now: datetime
) -> tuple[int, datetime] | None:
    """What cancelling the order's live appointment would cost this caller at `now` (fee, and
    until when it is free); None when nothing is booked."""
    appointment = await live_appointment(session, order.id)
    if appointment is None:
        return None
    return cancellation_terms(principal, order, appointment, now=now)


async def cancel_appointment(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    reason: str | None,
    now: datetime,
    policy: MoneyPolicy | None = None,
) -> Cancellation:
    order = await visible_order(session, principal, order_id, lock=True)
    appointment = await live_appointment(session, order.id)
    if appointment is None:
        raise NoAppointment("There is no booked appointment to cancel")
    _require_transition(order, S.CANCELLED)
    fee, free_until = cancellation_terms(principal, order, appointment, now=now, policy=policy)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancellation_fee_minor = fee
    await transition(
        session,
        order,
        S.CANCELLED,
        actor=principal,
        reason=reason or "cancelled by the customer",
        data={"appointment_id": str(appointment.id), "cancellation_fee_minor": fee},
        now=now,
    )
    await events.publish(session, events.AppointmentCancelled(order, appointment, fee, now))
    return Cancellation(order, appointment, fee, free_until)


async def release_hold(
    session: AsyncSession, order: WorkOrder, held: Appointment, *, reason: str, now: datetime
) -> None:
    """Free a held window (order locked): its technician time is available again."""
    held.status = AppointmentStatus.CANCELLED
    held.cancelled_at = now
    await session.flush()
    await record_event(
        session,
        order,
        "hold_released",
        actor=None,
        reason=reason,
        data={
            "appointment_id": str(held.id),
            "window": [held.window_start.isoformat(), held.window_end.isoformat()],
        },
        now=now,
    )


def _require_transition(order: WorkOrder, target: S) -> None:
    if not can_transition(order.status, target):
        raise IllegalTransition(
            f"A work order cannot go from {order.status} to {target.value}",
            current_status=order.status,
            requested_status=target.value,
        )


def _booking_data(appointment: Appointment, meets_sla: bool) -> dict[str, object]:
    return {
        "appointment_id": str(appointment.id),
        "window": [appointment.window_start.isoformat(), appointment.window_end.isoformat()],
        "planned_arrival": appointment.planned_arrival.isoformat() if appointment.planned_arrival else None,
        "reserved_technician_id": str(appointment.technician_id),
        "meets_sla": meets_sla,
    }


async def _after_booking(
    session: AsyncSession,
    principal: Principal,
    order: WorkOrder,
    appointment: Appointment,
    meets_sla: bool,
    *,
    now: datetime,
) -> None:
    if meets_sla:
        return
    # the customer chose (or only had) a window past the SLA: support must know
    await record_event(
        session,
        order,
        "sla_at_risk",
        actor=principal,
        reason="the booked window finishes after the SLA due time",
        data={"sla_due_at": order.sla_due_at.isoformat() if order.sla_due_at else None},
        now=now,
    )
    await send_notification(
        session,
        dedupe_key=f"sla-at-risk:{appointment.id}",
        kind="work_order.sla_at_risk",
        subject="Booked after the SLA due time",
        body=order.summary,
        recipient_role=Role.AGENT.value,
        work_order_id=order.id,
        data={"window_start": appointment.window_start.isoformat()},
    )
