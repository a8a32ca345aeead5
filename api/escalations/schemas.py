"""Wire types for escalation and work-order reads (never table models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from marketplace.bookings.models import Appointment
from marketplace.visits.eta import Estimate
from marketplace.work_orders.intake import CustomerRef, Escalation, TicketContext
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent

SkillCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", max_length=64)]
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lng = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Tier = Literal["standard", "priority", "premium"]
PriorityLevel = Annotated[int, msgspec.Meta(ge=1, le=4, description="1 emergency .. 4 low")]


class CustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    email: Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    tier: Tier = "standard"
    timezone: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class LocationIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Lat | None = None
    lng: Lng | None = None
    address: Annotated[str, msgspec.Meta(min_length=3, max_length=500)] | None = None


class ContextIn(msgspec.Struct, forbid_unknown_fields=True):
    transcript_excerpt: Annotated[str, msgspec.Meta(max_length=8000)] | None = None
    device: dict[str, Any] | None = None
    steps_tried: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=500)]], msgspec.Meta(max_length=50)
    ] = []
    notes: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class SkillNeed(msgspec.Struct, forbid_unknown_fields=True):
    code: SkillCode
    min_level: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1


class EscalationIn(msgspec.Struct, forbid_unknown_fields=True):
    helpdesk: Name
    ticket_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    customer: CustomerIn
    location: LocationIn
    summary: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    context: ContextIn = msgspec.field(default_factory=ContextIn)
    category: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    required_skills: Annotated[list[SkillNeed], msgspec.Meta(max_length=20)] = []
    required_certifications: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=10)
    ] = []
    priority: PriorityLevel | None = None
    sla_due_at: datetime | None = None
    duration_s: Annotated[int, msgspec.Meta(ge=600, le=12 * 3600)] | None = None
    region: Name | None = None  # omitted: the region of the technicians around the location
    insist_on_visit: bool = False


class HelpdeskEventIn(EscalationIn, forbid_unknown_fields=True):
    """The webhook variant: the same intake plus the helpdesk's own delivery id."""

    event_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class EventOut(msgspec.Struct):
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor_role: str
    actor_user_id: str | None
    reason: str | None
    data: dict[str, Any]


class AppointmentOut(msgspec.Struct):
    id: str
    status: str
    window_start: datetime
    window_end: datetime
    planned_arrival: datetime | None
    technician_id: str | None
    cancellation_fee_minor: int | None
    # set while Fieldhand holds this window for a customer who did not book in time: it is
    # confirmed automatically then, unless the customer books another window first
    held_until: datetime | None = None


class EtaOut(msgspec.Struct):
    status: str
    source: str
    window_start: datetime | None
    window_end: datetime | None
    arrival: datetime | None
    travel_s: int | None
    distance_m: int | None
    estimated_resolution_at: datetime | None
    sla_due_at: datetime | None
    sla_risk: str
    technician_id: str | None
    technician_name: str | None
    location_at: datetime | None


class Money(msgspec.Struct):
    amount: int
    currency: str


class WorkOrderOut(msgspec.Struct):
    id: str
    source: str
    external_ref: str | None
    customer_id: str
    status: str
    priority: int
    summary: str
    category: str | None
    context: dict[str, Any]
    required_skills: list[dict[str, Any]]
    required_certifications: list[str]
    duration_s: int
    lat: float
    lng: float
    address: str | None
    sla_due_at: datetime | None
    response_due_at: datetime | None
    sla_risk: str
    technician_id: str | None
    price: Money | None
    created_at: datetime
    updated_at: datetime
    appointment: AppointmentOut | None = None
    eta: EtaOut | None = None
    events: list[EventOut] | None = None


class EscalationOut(msgspec.Struct):
    outcome: Literal["created", "existing", "resolve_remotely"]
    work_order: WorkOrderOut | None
    knowledge_base_hint: str | None = None
    context_appended: bool = False


class WorkOrderPage(msgspec.Struct):
    items: list[WorkOrderOut]
    next_cursor: str | None


class ExpediteIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]


def appointment_out(a: Appointment | None) -> AppointmentOut | None:
    if a is None:
        return None
    return AppointmentOut(
        id=str(a.id),
        status=a.status,
        window_start=a.window_start,
        window_end=a.window_end,
        planned_arrival=a.planned_arrival,
        technician_id=str(a.technician_id) if a.technician_id else None,
        cancellation_fee_minor=a.cancellation_fee_minor,
        held_until=a.hold_confirm_at,
    )


def eta_out(e: Estimate) -> EtaOut:
    return EtaOut(
        status=e.status,
        source=e.source,
        window_start=e.window_start,
        window_end=e.window_end,
        arrival=e.arrival,
        travel_s=e.travel_s,
        distance_m=e.distance_m,
        estimated_resolution_at=e.resolution_at,
        sla_due_at=e.sla_due_at,
        sla_risk=e.sla_risk.value,
        technician_id=e.technician_id,
        technician_name=e.technician_name,
        location_at=e.location_at,
    )


def event_out(e: WorkOrderEvent) -> EventOut:
    return EventOut(
        at=e.at,
        kind=e.kind,
        from_status=e.from_status,
        to_status=e.to_status,
        actor_role=e.actor_role,
        actor_user_id=str(e.actor_user_id) if e.actor_user_id else None,
        reason=e.reason,
        data=e.data,
    )


def work_order_out(
    o: WorkOrder,
    *,
    sla_risk: str,
    appointment: Appointment | None = None,
    eta: Estimate | None = None,
    events: list[WorkOrderEvent] | None = None,
) -> WorkOrderOut:
    return WorkOrderOut(
        id=str(o.id),
        source=o.source,
        external_ref=o.external_ref,
        customer_id=str(o.customer_id),
        status=o.status,
        priority=o.priority,
        summary=o.summary,
        category=o.category_code,
        context=o.context,
        required_skills=o.required_skills,
        required_certifications=o.required_certifications,
        duration_s=o.duration_s,
        lat=o.lat,
        lng=o.lng,
        address=o.address,
        sla_due_at=o.sla_due_at,
        response_due_at=o.response_due_at,
        sla_risk=sla_risk,
        technician_id=str(o.technician_id) if o.technician_id else None,
        price=Money(o.price_minor, o.currency) if o.price_minor is not None else None,
        created_at=o.created_at,
        updated_at=o.updated_at,
        appointment=appointment_out(appointment),
        eta=eta_out(eta) if eta else None,
        events=[event_out(e) for e in events] if events is not None else None,
    )


def to_escalation(data: EscalationIn) -> Escalation:
    c = data.context
    return Escalation(
        helpdesk=data.helpdesk,
        ticket_id=data.ticket_id,
        customer=CustomerRef(
            external_id=data.customer.external_id,
            name=data.customer.name,
            email=data.customer.email,
            phone=data.customer.phone,
            tier=data.customer.tier,
            timezone=data.customer.timezone,
        ),
        summary=data.summary,
        context=TicketContext(
            transcript_excerpt=c.transcript_excerpt,
            device=c.device,
            steps_tried=tuple(c.steps_tried),
            notes=c.notes,
        ),
        lat=data.location.lat,
        lng=data.location.lng,
        address=data.location.address,
        category=data.category,
        required_skills=tuple((s.code, s.min_level) for s in data.required_skills),
        required_certifications=tuple(data.required_certifications),
        priority=data.priority,
        sla_due_at=data.sla_due_at,
        duration_s=data.duration_s,
        region=data.region,
        insist_on_visit=data.insist_on_visit,
    )
