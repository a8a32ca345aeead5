"""The technician mobile API, versioned under /mobile/v1. Add controllers here."""

from __future__ import annotations

from typing import Any

from litestar import Router

from mobile_api.counters.controllers import CounterOffersController
from mobile_api.earnings.controllers import EarningsController
from mobile_api.location.controllers import LocationController
from mobile_api.messages.controllers import MessagesController
from mobile_api.offers.controllers import OffersController
from mobile_api.onboarding.controllers import OnboardingController
from mobile_api.payouts.controllers import PayoutsController
from mobile_api.shifts.controllers import ShiftsController
from mobile_api.visits.controllers import VisitsController

CONTROLLERS: list[Any] = [
    OnboardingController,
    ShiftsController,
    LocationController,
    OffersController,
    CounterOffersController,
    VisitsController,
    EarningsController,
    PayoutsController,
    MessagesController,
]


def build_mobile_router() -> Router:
    return Router(path="/mobile/v1", route_handlers=CONTROLLERS, tags=["mobile"])
