"""Customers: arrival windows, book / reschedule / cancel, ETA, talk to a human, review."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.bookings.schemas import (
    BookingOut,
    CallbackCreated,
    CallbackIn,
    CancelIn,
    CancellationOut,
    ReviewIn,
    ReviewOut,
    SlotOut,
    SlotsOut,
    WindowIn,
)
from api.deps import CurrentPrincipal, DbSession, Now
from api.escalations.schemas import EtaOut, Money, appointment_out, eta_out
from api.idempotency import idempotent
from marketplace.auth import requires, signed_in
from marketplace.bookings import service
from marketplace.bookings.slots import Availability, SlotOption
from marketplace.ratings.service import review_visit
from marketplace.support.service import request_human
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.users.models import Role
from marketplace.visits.eta import estimate
from marketplace.work_orders.reads import visible_order

CUSTOMER_OR_AGENT = requires(Role.CUSTOMER, Role.AGENT)

MESSAGES = {
    Availability.AVAILABLE: "Pick an arrival window.",
    Availability.SLA_AT_RISK: (
        "No qualified technician can come within your service level. The earliest qualified "
        "visit is shown; support has been told and can call you."
    ),
    Availability.NO_AVAILABILITY: "No qualified technician is free in the coming days; support will call.",
    Availability.NO_QUALIFIED_TECHNICIAN: (
        "No technician with the right qualifications serves your location yet; support will call you."
    ),
}

WorkOrderId = Annotated[uuid.UUID, PathParameter(description="Work order id")]


def slot_out(s: SlotOption) -> SlotOut:
    return SlotOut(
        start=from_epoch(s.start),
        end=from_epoch(s.end),
        earliest_arrival=from_epoch(s.earliest_arrival),
        meets_sla=s.meets_sla,
        technicians=s.technicians,
    )


def booking_out(b: service.Booking) -> BookingOut:
    appointment = appointment_out(b.appointment)
    assert appointment is not None
    message = "Booked." if b.meets_sla else "Booked, but after your service level: support has been told."
    return BookingOut(
        work_order_id=str(b.order.id),
        work_order_status=b.order.status,
        meets_sla=b.meets_sla,
        sla_due_at=b.order.sla_due_at,
        appointment=appointment,
        message=message,
    )


def _window(data: WindowIn) -> tuple[int, int]:
    return to_epoch(data.window_start), to_epoch(data.window_end)


class BookingController(Controller):
    path = "/work-orders/{work_order_id:uuid}"
    tags = ["bookings"]

    @get("/slots", operation_id="listSlots", guards=[signed_in])
    async def list_slots(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        principal: CurrentPrincipal,
        db_session: DbSession,
        days: Annotated[int, QueryParameter(ge=1, le=14)] = 7,
        window_hours: Annotated[int, QueryParameter(ge=1, le=4)] = 2,
    ) -> SlotsOut:
        """Arrival windows in which at least one qualified technician can actually arrive
        (shifts, existing bookings and travel via dispatch feasibility). Each says whether
        it meets the SLA; when none does, `availability` is `sla_at_risk` and `earliest`
        is the honest earliest qualified option."""
        order, found = await service.list_slots(
            db_session, principal, work_order_id, now=now, days=days, window_s=window_hours * 3600
        )
        earliest = found.earliest
        return SlotsOut(
            work_order_id=str(order.id),
            availability=found.availability.value,  # type: ignore[arg-type]
            sla_due_at=order.sla_due_at,
            sla_attainable=found.sla_attainable,
            message=MESSAGES[found.availability],
            earliest=slot_out(earliest) if earliest else None,
            slots=[slot_out(s) for s in found.slots],
        )

    @post("/appointment", operation_id="bookAppointment", guards=[requires(Role.CUSTOMER)])
    @idempotent
    async def book(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        data: JSONBody[WindowIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> BookingOut:
        """Book an arrival window (201). Losing a race for the last place is a 409
        `slot-unavailable` problem with fresh `alternatives`. Safe to retry with the same
        Idempotency-Key."""
        booking = await service.book_appointment(db_session, principal, work_order_id, _window(data), now=now)
        return booking_out(booking)

    @post(
        "/appointment/reschedule",
        operation_id="rescheduleAppointment",
        guards=[requires(Role.CUSTOMER)],
        status_code=200,
    )
    @idempotent
    async def reschedule(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        data: JSONBody[WindowIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> BookingOut:
        """Move the booking to another window (200); the old one is kept as `rescheduled`."""
        booking = await service.reschedule_appointment(
            db_session, principal, work_order_id, _window(data), now=now
        )
        return booking_out(booking)

    @post(
        "/appointment/cancel", operation_id="cancelAppointment", guards=[CUSTOMER_OR_AGENT], status_code=200
    )
    @idempotent
    async def cancel(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        data: JSONBody[CancelIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> CancellationOut:
        """Cancel the visit (200). Free until 24 h before the window opens; later 50 % of the
        price; once the technician is on the way, the full price. Support agents cancel
        free of charge."""
        c = await service.cancel_appointment(
            db_session, principal, work_order_id, reason=data.reason, now=now
        )
        appointment = appointment_out(c.appointment)
        assert appointment is not None
        return CancellationOut(
            work_order_id=str(c.order.id),
            work_order_status=c.order.status,
            appointment=appointment,
            cancellation_fee=Money(c.fee_minor, c.order.currency),
            free_cancellation_until=c.free_until,
        )

    @get("/eta", operation_id="getEta", guards=[signed_in])
    async def get_eta(
        self, now: Now, work_order_id: WorkOrderId, principal: CurrentPrincipal, db_session: DbSession
    ) -> EtaOut:
        """Arrival window and expected arrival; once the technician is en route, an ETA from
        their last known position. Always a resolution-time estimate and the SLA risk."""
        order = await visible_order(db_session, principal, work_order_id)
        appointment = await service.live_appointment(db_session, order.id)
        return eta_out(await estimate(db_session, order, appointment, now=now))

    @post("/callback-requests", operation_id="requestHuman", guards=[requires(Role.CUSTOMER)])
    @idempotent
    async def request_human(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        data: JSONBody[CallbackIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> CallbackCreated:
        """Talk to a human, from any step: support gets a callback request with the work
        order's context (201)."""
        cb = await request_human(
            db_session,
            principal,
            work_order_id,
            reason=data.reason,
            phone=data.phone,
            preferred_time=data.preferred_time,
            now=now,
        )
        return CallbackCreated(
            id=str(cb.id), work_order_id=str(work_order_id), status=cb.status, created_at=cb.created_at
        )

    @post("/review", operation_id="reviewVisit", guards=[requires(Role.CUSTOMER)])
    @idempotent
    async def review(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        data: JSONBody[ReviewIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> ReviewOut:
        """Rate a completed visit 1-5 stars with an optional comment, once (201); a second
        review is a 409 `already-reviewed` problem. Feeds the technician's rating."""
        r = await review_visit(
            db_session, principal, work_order_id, stars=data.stars, comment=data.comment, now=now
        )
        return ReviewOut(
            id=str(r.id),
            work_order_id=str(r.work_order_id),
            technician_id=str(r.technician_id),
            stars=r.stars,
            comment=r.comment,
            created_at=r.created_at,
        )
