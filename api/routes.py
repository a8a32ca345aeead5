"""Every controller of the agent / customer / dispatcher API. Add new ones here."""

from __future__ import annotations

from typing import Any

from api.access.controllers import CustomerAccessController
from api.admin.controllers import AdminController
from api.auth.controllers import AuthController, UserSessionsController
from api.bookings.controllers import BookingController
from api.catalog.controllers import CatalogController
from api.devices.controllers import DeviceController
from api.dispatcher.controllers import DispatcherController
from api.escalations.controllers import EscalationController
from api.fairness.controllers import FairnessController
from api.messages.controllers import MessagesController
from api.payments.controllers import PaymentsController
from api.pricing.controllers import QuoteController
from api.service_requests.controllers import ServiceRequestController
from api.staff.controllers import InvitationController, StaffController
from api.system.controllers import SystemController
from api.technicians.controllers import TechnicianAdminController
from api.webhooks.helpdesk import HelpdeskWebhookController
from api.webhooks.stripe import StripeWebhookController

CONTROLLERS: list[Any] = [
    SystemController,
    AuthController,
    UserSessionsController,
    CatalogController,
    TechnicianAdminController,
    EscalationController,
    BookingController,
    HelpdeskWebhookController,
    AdminController,
    PaymentsController,
    QuoteController,
    StripeWebhookController,
    DispatcherController,
    FairnessController,
    MessagesController,
    DeviceController,
    CustomerAccessController,
    StaffController,
    InvitationController,
    ServiceRequestController,
]
