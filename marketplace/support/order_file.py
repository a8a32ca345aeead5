"""Everything staff read about one work order on a call: the order and its context, the
timeline with who did what and why, the appointment and ETA, the payment, the messages
sent about it, and the dispatch explanations (who was ranked, offered, left out, and why).

Reads only, through the owning domains' reads; staff only (agents, dispatchers, admins).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.bookings.models import Appointment
from marketplace.bookings.service import live_appointment
from marketplace.errors import Forbidden, NotFound
from marketplace.fairness.ledger import decisions_of
from marketplace.fairness.models import DispatchDecision
from marketplace.messages.models import Message
from marketplace.payments.records import PaymentView, get_payment_for_customer
from marketplace.support import repository
from marketplace.technicians.models import Technician
from marketplace.users.models import User
from marketplace.visits.eta import Estimate, estimate
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent
from marketplace.work_orders.reads import events_of, is_staff, visible_order

MESSAGES_SHOWN = 50


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    event: WorkOrderEvent
    who: str  # "Sam Support (agent)", "system", ...


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: DispatchDecision
    technician: str


@dataclass(frozen=True, slots=True)
class OrderFile:
    order: WorkOrder
    appointment: Appointment | None
    eta: Estimate
    timeline: list[TimelineEntry]
    payment: PaymentView | None
    messages: list[Message]
    explanations: list[Explanation]


def _who(event: WorkOrderEvent, names: dict[uuid.UUID, str]) -> str:
    if event.actor_user_id is not None and event.actor_user_id in names:
        return f"{names[event.actor_user_id]} ({event.actor_role})"
    return event.actor_role


async def messages_about(session: AsyncSession, work_order_id: uuid.UUID) -> list[Message]:
    """Messages sent to anyone about the order, newest first (at most MESSAGES_SHOWN)."""
    return await repository.messages_about(session, work_order_id, limit=MESSAGES_SHOWN)


async def order_file(
    session: AsyncSession, principal: Principal, work_order_id: uuid.UUID, *, now: datetime
) -> OrderFile:
    if not is_staff(principal):
        raise Forbidden("Only staff read a work order's file")
    order = await visible_order(session, principal, work_order_id)
    appointment = await live_appointment(session, order.id)
    events = await events_of(session, order.id)
    users = await repository.display_names(
        session, User, {e.actor_user_id for e in events if e.actor_user_id is not None}
    )
    decisions = await decisions_of(session, order.id)
    techs = await repository.display_names(session, Technician, {d.technician_id for d in decisions})
    try:
        payment: PaymentView | None = await get_payment_for_customer(session, principal, order.id)
    except NotFound:
        payment = None
    return OrderFile(
        order=order,
        appointment=appointment,
        eta=await estimate(session, order, appointment, now=now),
        timeline=[TimelineEntry(e, _who(e, users)) for e in events],
        payment=payment,
        messages=await messages_about(session, order.id),
        explanations=[Explanation(d, techs.get(d.technician_id, "a technician")) for d in decisions],
    )
