"""Every controller of the agent / customer / dispatcher API. Add new ones here."""

from __future__ import annotations

from typing import Any

from api.auth.controllers import AuthController
from api.catalog.controllers import CatalogController
from api.system.controllers import SystemController
from api.technicians.controllers import TechnicianAdminController
from api.payments.controllers import PaymentsController
from api.webhooks.stripe import StripeWebhookController
from api.escalations.controllers import EscalationController
from api.bookings.controllers import BookingController
from api.webhooks.helpdesk import HelpdeskWebhookController
from api.admin.controllers import AdminController

CONTROLLERS: list[Any] = [
    SystemController,
    AuthController,
    CatalogController,
    TechnicianAdminController,
    PaymentsController,
    StripeWebhookController,
    EscalationController,
    BookingController,
    HelpdeskWebhookController,
    AdminController,
]
