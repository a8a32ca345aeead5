"""In-transaction domain events: one domain says what happened, others react in the same session.

A domain publishes an event (`await publish(session, AppointmentBooked(...))`) instead of
calling into, or writing the rows of, another domain. The handlers registered for that event
type (`marketplace/subscriptions.py`, in the order listed there) run right away, in the
publisher's session and transaction, before anything commits: a rollback undoes the
reaction with the cause, and a task that runs twice reacts as often as it publishes (the
handlers are idempotent, like the verbs they call). Effects outside the database (Stripe,
e-mail, webhooks) still go through the outbox from inside the handlers.

The events carry the rows the publisher already holds (loaded, and locked where the
publisher locked them) so a handler need not read them again.
"""

from __future__ import annotations

import importlib
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from marketplace.bookings.models import Appointment
    from marketplace.customers.models import Customer
    from marketplace.payments.gateway import PaymentGateway
    from marketplace.pricing.policy import MoneyPolicy
    from marketplace.technicians.models import Technician
    from marketplace.work_orders.models import WorkOrder


@dataclass(frozen=True, slots=True)
class WorkOrderTriaged:
    """A new work order knows what it needs (skills, duration, SLA) and can be placed."""

    order: WorkOrder
    customer: Customer
    horizon_days: int
    now: datetime


@dataclass(frozen=True, slots=True)
class WorkOrderExpedited:
    """A work order was raised to P1; its SLA is already tightened."""

    order: WorkOrder
    now: datetime


@dataclass(frozen=True, slots=True)
class AppointmentBooked:
    """A visit window was booked (by the customer, support, or an automatic hold)."""

    order: WorkOrder
    appointment: Appointment
    now: datetime


@dataclass(frozen=True, slots=True)
class AppointmentCancelled:
    """A booked visit was cancelled; `cancellation_fee_minor` is what the customer owes for it."""

    order: WorkOrder
    appointment: Appointment
    cancellation_fee_minor: int
    now: datetime


@dataclass(frozen=True, slots=True)
class VisitCompleted:
    """The technician finished the visit."""

    order: WorkOrder
    now: datetime


@dataclass(frozen=True, slots=True)
class OfferAccepted:
    """A technician took the job (an accepted offer or an auto-accepted assignment); `arrival`
    is the planned arrival their ranking promised, when it promised one."""

    order: WorkOrder
    offer_id: uuid.UUID
    technician_id: uuid.UUID
    arrival: datetime | None
    now: datetime


@dataclass(frozen=True, slots=True)
class PaymentDeclined:
    """The customer's card was declined for the booking's authorisation."""

    order: WorkOrder
    payment_id: uuid.UUID
    appointment_id: uuid.UUID | None
    code: str
    now: datetime


@dataclass(frozen=True, slots=True)
class EarningsCaptured:
    """Money was captured and `amount_minor` of it is the technician's to be paid out."""

    technician_id: uuid.UUID
    work_order_id: uuid.UUID
    amount_minor: int
    currency: str
    policy: MoneyPolicy
    now: datetime


@dataclass(frozen=True, slots=True)
class EarningsRefunded:
    """A refund left the technician `amount_minor` of the work order's earnings."""

    work_order_id: uuid.UUID
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PayoutAccountChanged:
    """Stripe says a connected (payout) account changed; `gateway` reads its current state."""

    account_id: str
    gateway: PaymentGateway
    now: datetime


@dataclass(frozen=True, slots=True)
class TechnicianSuspended:
    technician_id: uuid.UUID
    reason: str
    now: datetime


@dataclass(frozen=True, slots=True)
class TechnicianMoved:
    """A technician's last known location changed."""

    technician: Technician
    now: datetime


E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]

_handlers: dict[type, list[Handler]] = defaultdict(list)
_wired = False


def subscribe(event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]) -> None:
    """Run `handler` for every published event of `event_type`, after those subscribed before it."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


async def publish(session: AsyncSession, event: object) -> None:
    """Run the handlers of `event` now, in `session` (the publisher's transaction)."""
    _wire()
    for handler in _handlers.get(type(event), ()):
        await handler(session, event)


def _wire() -> None:
    """Load the subscription list once per process: the app, a worker, the CLI and a test that
    calls a service directly all get the same handlers. It is named here rather than imported
    because it imports the handlers of every domain, which import this module."""
    global _wired
    if not _wired:
        importlib.import_module("marketplace.subscriptions")
        _wired = True
