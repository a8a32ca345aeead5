"""The visit as the technician works it: en route -> on site -> completed | failed.

Each step is recorded once per assignment (`visit_steps`, unique per assignment and step)
under the work-order lock: a retried request finds its step and gets the same answer
without advancing anything twice. A step the state machine does not allow is a 409.
Every step also moves the customer's appointment (ETA, arrival, done).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.geo import DEFAULT_TRAVEL_MODEL
from dispatch.problem import GeoPoint
from marketplace import events
from marketplace.auth import Principal
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.bookings.repository import live_appointment
from marketplace.dispatch_io.technicians import last_known_position
from marketplace.errors import InvalidInput, NotFound
from marketplace.messages import notices
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.pagination import Page
from marketplace.technicians.models import Technician
from marketplace.technicians.repository import cached_technician
from marketplace.technicians.service import own_technician_id
from marketplace.visits import repository as repo
from marketplace.visits.models import VisitStep, VisitStepKind
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event, transition

ACTIVE_STATUSES = (WorkOrderStatus.ASSIGNED, WorkOrderStatus.EN_ROUTE, WorkOrderStatus.ON_SITE)
DONE_STATUSES = (WorkOrderStatus.COMPLETED, WorkOrderStatus.FAILED)
_CUSTOMER_WORDS = {
    VisitStepKind.EN_ROUTE: "Your technician is on the way",
    VisitStepKind.ON_SITE: "Your technician has arrived",
    VisitStepKind.COMPLETED: "Your visit is complete",
    VisitStepKind.FAILED: "Your visit could not be completed; we will be in touch",
}


@dataclass(frozen=True, slots=True)
class StepReport:
    notes: str | None = None
    time_spent_s: int | None = None
    parts_used: list[dict[str, Any]] = field(default_factory=list)
    customer_signoff_name: str | None = None
    lat: float | None = None
    lng: float | None = None


@dataclass(frozen=True, slots=True)
class VisitView:
    order: WorkOrder
    appointment: Appointment | None
    steps: list[VisitStep]
    replayed: bool = False  # this answer repeats an earlier identical step


async def _assignment_key(session: AsyncSession, order: WorkOrder, technician_id: uuid.UUID) -> str:
    offer_id = await repo.accepted_offer_id(session, order.id, technician_id)
    return f"offer:{offer_id}" if offer_id else f"order:{order.id}:{technician_id}"


async def _view(session: AsyncSession, order: WorkOrder, key: str, *, replayed: bool = False) -> VisitView:
    steps = await repo.steps(session, key)
    return VisitView(order, await repo.visit_appointment(session, order.id), steps, replayed)


def _position(tech: Technician, report: StepReport, now: datetime) -> GeoPoint:
    if report.lat is not None and report.lng is not None:
        return GeoPoint(report.lat, report.lng)
    return last_known_position(tech, now) or GeoPoint(tech.home_lat, tech.home_lng)


def eta_from(position: GeoPoint, order: WorkOrder, now: datetime) -> datetime:
    leg = DEFAULT_TRAVEL_MODEL.leg(position, GeoPoint(order.lat, order.lng))
    return now + timedelta(seconds=leg.seconds)


async def _own_order(
    session: AsyncSession, technician_id: uuid.UUID, work_order_id: uuid.UUID, *, lock: bool
) -> WorkOrder:
    try:
        order = (
            await lock_work_order(session, work_order_id)
            if lock
            else await repo.work_order(session, work_order_id)
        )
    except NotFound:
        order = None
    if order is None or order.technician_id != technician_id:
        raise NotFound("No such visit")  # another technician's visit looks like a missing one
    return order


async def update_visit_status(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    step: VisitStepKind,
    report: StepReport,
    *,
    now: datetime,
) -> VisitView:
    """Advance the visit one step (idempotent per step; illegal steps raise 409)."""
    technician_id = own_technician_id(principal)
    if step is VisitStepKind.FAILED and not (report.notes and report.notes.strip()):
        raise InvalidInput("Say what went wrong in `notes` when a visit fails", field="notes")
    if (report.lat is None) != (report.lng is None):
        raise InvalidInput("Send both lat and lng, or neither", field="lat")
    order = await _own_order(session, technician_id, work_order_id, lock=True)
    key = await _assignment_key(session, order, technician_id)
    done = await repo.step(session, key, step)
    if done is not None:
        return await _view(session, order, key, replayed=True)

    await transition(
        session, order, WorkOrderStatus(step.value), actor=principal, reason=report.notes, now=now
    )
    tech = await cached_technician(session, technician_id)
    assert tech is not None
    appointment = await live_appointment(session, order.id)
    eta: datetime | None = None
    if step is VisitStepKind.EN_ROUTE:
        eta = eta_from(_position(tech, report, now), order, now)
    elif step is VisitStepKind.ON_SITE:
        eta = now
    if appointment is not None:
        if eta is not None:
            appointment.eta = eta
        if step is VisitStepKind.COMPLETED:
            appointment.status = AppointmentStatus.DONE.value
    row = VisitStep(
        work_order_id=order.id,
        technician_id=technician_id,
        assignment_key=key,
        step=step.value,
        at=now,
        notes=report.notes,
        time_spent_s=report.time_spent_s,
        parts_used=list(report.parts_used),
        customer_signoff_name=report.customer_signoff_name,
        eta=eta,
        lat=report.lat,
        lng=report.lng,
    )
    session.add(row)
    await session.flush()
    if eta is not None:
        await record_event(
            session,
            order,
            "eta_updated",
            actor=principal,
            data={"eta": eta.isoformat(), "step": step.value},
            now=now,
        )
    await _tell_customer(session, order, key, step, eta, now=now)
    if step is VisitStepKind.EN_ROUTE:
        await notices.on_the_way(session, order, tech, eta, now=now)
    if step is VisitStepKind.COMPLETED:
        await events.publish(session, events.VisitCompleted(order, now))
    return await _view(session, order, key)


async def _tell_customer(
    session: AsyncSession,
    order: WorkOrder,
    key: str,
    step: VisitStepKind,
    eta: datetime | None,
    *,
    now: datetime,
) -> None:
    user_id = await repo.customer_user_id(session, order.customer_id)
    subject = _CUSTOMER_WORDS[step]
    if step is VisitStepKind.EN_ROUTE and eta is not None:
        subject += f", expected at {eta.strftime('%H:%M')} UTC"
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"visit-step:{key}:{step.value}",
            kind=f"visit.{step.value}",
            subject=subject,
            recipient_user_id=user_id,
            recipient_role=None if user_id else "customer",
            work_order_id=order.id,
            data={"eta": eta.isoformat() if eta else None},
            webhook=False,
        ),
        now=now,
    )


async def refresh_eta_after_move(session: AsyncSession, tech: Technician, *, now: datetime) -> None:
    """A new latest position while en route: move the customer's ETA."""
    if tech.last_lat is None or tech.last_lng is None:
        return
    for order in await repo.orders_en_route(session, tech.id):
        eta = eta_from(GeoPoint(tech.last_lat, tech.last_lng), order, now)
        await repo.set_booked_eta(session, order.id, eta)


async def get_visit(session: AsyncSession, principal: Principal, work_order_id: uuid.UUID) -> VisitView:
    technician_id = own_technician_id(principal)
    order = await _own_order(session, technician_id, work_order_id, lock=False)
    return await _view(session, order, await _assignment_key(session, order, technician_id))


async def list_visits(
    session: AsyncSession, principal: Principal, *, state: str | None, cursor: str | None, limit: int
) -> Page[WorkOrder]:
    """The technician's visits, newest first; `state` = active | done."""
    technician_id = own_technician_id(principal)
    statuses = ACTIVE_STATUSES if state == "active" else DONE_STATUSES if state == "done" else None
    return await repo.technician_visits(session, technician_id, statuses=statuses, cursor=cursor, limit=limit)
