"""What arrives with an escalation (the ticket, its customer and context), and what it needs
before it becomes a work order: its category, required skills, location and customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.catalog.models import ServiceCategory
from marketplace.customers.models import Customer, CustomerTier
from marketplace.customers.signup import customer_with_verified_email
from marketplace.errors import InvalidInput
from marketplace.geocoding import Geocoder
from marketplace.geocoding import current as current_geocoder
from marketplace.work_orders import repository
from marketplace.work_orders.models import WorkOrder, WorkOrderSource


@dataclass(frozen=True, slots=True)
class CustomerRef:
    external_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    tier: str = CustomerTier.STANDARD
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class TicketContext:
    transcript_excerpt: str | None = None
    device: dict[str, Any] | None = None
    steps_tried: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    helpdesk: str
    ticket_id: str
    customer: CustomerRef
    summary: str
    context: TicketContext = field(default_factory=TicketContext)
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    category: str | None = None
    required_skills: tuple[tuple[str, int], ...] = ()
    required_certifications: tuple[str, ...] = ()
    priority: int | None = None
    sla_due_at: datetime | None = None
    duration_s: int | None = None
    region: str | None = None  # None: inferred from the location (marketplace/regions.py)
    insist_on_visit: bool = False
    source: str = WorkOrderSource.ESCALATION
    customer_id: uuid.UUID | None = None  # an existing customer (device alerts) instead of `customer`

    @property
    def external_ref(self) -> str:
        return f"{self.helpdesk}:{self.ticket_id}"


class EscalationOutcome(StrEnum):
    CREATED = "created"
    EXISTING = "existing"  # same ticket again: the same work order, context appended
    RESOLVE_REMOTELY = "resolve_remotely"  # remote-fixable category: nothing booked


@dataclass(frozen=True, slots=True)
class EscalationResult:
    outcome: EscalationOutcome
    order: WorkOrder | None
    knowledge_base_hint: str | None = None
    category: str | None = None
    context_appended: bool = False


async def category_by_code(session: AsyncSession, code: str | None) -> ServiceCategory | None:
    if code is None:
        return None
    category = await repository.category(session, code)
    if category is None:
        raise InvalidInput(f"Unknown category {code!r}", category=code)
    return category


async def required_skills_for(
    session: AsyncSession, category: ServiceCategory | None, explicit: tuple[tuple[str, int], ...]
) -> list[tuple[str, int]]:
    levels: dict[str, int] = {}
    for s in category.required_skills if category else []:
        levels[str(s["code"])] = max(levels.get(str(s["code"]), 0), int(s.get("min_level", 1)))
    for code, level in explicit:
        levels[code] = max(levels.get(code, 0), level)
    if levels:
        known = await repository.known_skill_codes(session, list(levels))
        unknown = sorted(set(levels) - known)
        if unknown:
            raise InvalidInput(f"Unknown skills: {', '.join(unknown)}", unknown_skills=unknown)
    return sorted(levels.items())


async def locate(request: Escalation, geocoder: Geocoder | None) -> tuple[float, float, str | None]:
    if request.lat is not None and request.lng is not None:
        return request.lat, request.lng, request.address
    if not request.address:
        raise InvalidInput("Give the visit location: lat/lng or an address")
    place = await (geocoder or current_geocoder()).geocode(request.address)
    return place.lat, place.lng, request.address


async def upsert_customer(session: AsyncSession, helpdesk: str, ref: CustomerRef) -> Customer:
    customer = await repository.helpdesk_customer(session, helpdesk, ref.external_id)
    if customer is None and (matched := await customer_with_verified_email(session, ref.email)):
        # the same person from another helpdesk: one customer, but only by a confirmed address
        if matched.external_source is None:
            matched.external_source, matched.external_ref = helpdesk, ref.external_id
        matched.tier = ref.tier
        await session.flush()
        return matched
    if customer is None:
        customer = Customer(
            external_source=helpdesk,
            external_ref=ref.external_id,
            name=ref.name,
            email=ref.email,
            phone=ref.phone,
            tier=ref.tier,
            timezone=ref.timezone or "UTC",
        )
        try:
            async with session.begin_nested():
                session.add(customer)
                await session.flush()
        except IntegrityError:
            customer = await repository.existing_helpdesk_customer(session, helpdesk, ref.external_id)
    # the helpdesk is the source of truth for contact data and tier
    customer.name = ref.name
    customer.email = ref.email or customer.email
    customer.phone = ref.phone or customer.phone
    customer.tier = ref.tier
    if ref.timezone:
        customer.timezone = ref.timezone
    await session.flush()
    return customer
