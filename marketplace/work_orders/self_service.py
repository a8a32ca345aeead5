"""A signed-in customer asks for a visit themselves (source `booking`).

The request goes through the same intake as a support escalation (`escalate_ticket`): the
same triage (a remote-fixable category answers with the knowledge-base fix first, unless
the customer insists on a visit), the same SLA from the customer's tier and priority, and
the same "right skill later" check that hands an order nobody qualified can reach in time
to support. Each request is its own work order; retries are made safe by the HTTP edge's
Idempotency-Key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import Forbidden
from marketplace.geocoding import Geocoder
from marketplace.users.models import Role
from marketplace.work_orders import repository
from marketplace.work_orders.escalation import escalate_ticket
from marketplace.work_orders.intake import CustomerRef, Escalation, EscalationResult, TicketContext
from marketplace.work_orders.models import WorkOrderSource

SELF_SERVICE = "self-service"  # the "helpdesk" of customers' own requests in external refs


@dataclass(frozen=True, slots=True)
class VisitRequest:
    category: str
    description: str
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    priority: int = 3
    device: dict[str, object] | None = None
    steps_tried: tuple[str, ...] = field(default=())
    insist_on_visit: bool = False
    # The same key from the same customer is the same request: sent twice, one order.
    request_key: str | None = None


async def request_visit(
    session: AsyncSession,
    principal: Principal,
    request: VisitRequest,
    *,
    now: datetime,
    geocoder: Geocoder | None = None,
) -> EscalationResult:
    """Triage the customer's own request and, unless a remote fix answers it, open a work order."""
    if principal.role is not Role.CUSTOMER or principal.customer_id is None:
        raise Forbidden("Only a signed-in customer asks for a visit")
    customer = await repository.customer(session, principal.customer_id)
    if customer is None:
        raise Forbidden("This login has no customer profile")
    escalation = Escalation(
        helpdesk=SELF_SERVICE,
        ticket_id=f"{customer.id}:{request.request_key}" if request.request_key else uuid.uuid4().hex,
        customer=CustomerRef(external_id=str(customer.id), name=customer.name, tier=customer.tier),
        summary=request.description,
        context=TicketContext(
            device=dict(request.device) if request.device else None, steps_tried=request.steps_tried
        ),
        lat=request.lat,
        lng=request.lng,
        address=request.address,
        category=request.category,
        priority=request.priority,
        insist_on_visit=request.insist_on_visit,
        source=WorkOrderSource.BOOKING,
        customer_id=customer.id,
    )
    return await escalate_ticket(session, escalation, actor=principal, now=now, geocoder=geocoder)
