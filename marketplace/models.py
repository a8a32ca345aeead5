"""Import every table so `SQLModel.metadata` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from marketplace.bookings.models import Appointment
from marketplace.catalog.models import ServiceCategory, Skill, SlaPolicy
from marketplace.customers.models import Customer
from marketplace.external_events import ExternalEvent
from marketplace.idempotency import IdempotencyKey
from marketplace.ledger.models import LedgerEntry
from marketplace.notifications.models import Notification
from marketplace.offers.models import MissedOffer, Offer
from marketplace.outbox import OutboxTask
from marketplace.payments.models import Payment
from marketplace.payouts.models import Payout
from marketplace.ratings.models import Review
from marketplace.support.models import CallbackRequest
from marketplace.technicians.models import (
    Certification,
    LocationPing,
    RegionPoolVersion,
    Shift,
    ShiftTemplate,
    Technician,
    TechnicianSkill,
    TimeOff,
)
from marketplace.users.models import RevokedToken, User
from marketplace.visits.models import VisitStep
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent

metadata = SQLModel.metadata

__all__ = [
    "Appointment",
    "CallbackRequest",
    "Certification",
    "Customer",
    "ExternalEvent",
    "IdempotencyKey",
    "LedgerEntry",
    "LocationPing",
    "MissedOffer",
    "Notification",
    "Offer",
    "OutboxTask",
    "Payment",
    "Payout",
    "RegionPoolVersion",
    "Review",
    "RevokedToken",
    "ServiceCategory",
    "Shift",
    "ShiftTemplate",
    "Skill",
    "SlaPolicy",
    "Technician",
    "TechnicianSkill",
    "TimeOff",
    "User",
    "VisitStep",
    "WorkOrder",
    "WorkOrderEvent",
    "metadata",
]

from marketplace.payments.models import BillingProfile  # noqa: E402
from marketplace.payouts.models import PayoutAccountLink  # noqa: E402

__all__ += ["BillingProfile", "PayoutAccountLink"]
from marketplace.messages.models import Message  # noqa: E402

__all__ += ["Message"]

from marketplace.devices.models import Device, DeviceRule, HourlyReading, Reading  # noqa: E402

__all__ += ["Device", "DeviceRule", "HourlyReading", "Reading"]

from marketplace.fairness.models import CounterOffer, DispatchDecision  # noqa: E402

__all__ += ["CounterOffer", "DispatchDecision"]

from marketplace.access.models import AccessLink  # noqa: E402

__all__ += ["AccessLink"]
