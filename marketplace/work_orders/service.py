"""Work-order verbs for support: escalate a ticket, append context, expedite, read, list.

Escalation is idempotent on (helpdesk, ticket id): the unique (source, external_ref) key
decides, so two racing deliveries of one ticket still make one work order; the loser
appends its context to the winner's order instead.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace import outbox
from marketplace.access.models import SEND_ORDER_LINK_TASK
from marketplace.auth import Principal
from marketplace.bookings.slots import Availability, search_slots
from marketplace.catalog.models import ServiceCategory, Skill
from marketplace.customers.models import Customer, CustomerTier
from marketplace.customers.signup import customer_with_verified_email
from marketplace.dispatching.config import load_config as load_dispatch_config
from marketplace.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from marketplace.geocoding import Geocoder
from marketplace.geocoding import current as current_geocoder
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.pagination import keyset_page
from marketplace.payments.service import price_is_agreed
from marketplace.pricing.policy import load_policy as load_money_policy
from marketplace.pricing.service import price_work_order, quote
from marketplace.regions import region_for_location
from marketplace.sla.policy import due_times, targets_for
from marketplace.timeutil import from_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import DEFAULT_CURRENCY, WorkOrder, WorkOrderEvent, WorkOrderSource
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import TERMINAL, lock_work_order, record_event, transition

STAFF = frozenset({Role.AGENT, Role.DISPATCHER, Role.ADMIN})
DISPATCH_TASK = "work_orders.dispatch_requested"
INSTANT_DISPATCH_TASK = "dispatch.instant"


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


# ----------------------------------------------------------------------------- visibility


def is_staff(principal: Principal) -> bool:
    return principal.role in STAFF


async def visible_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, lock: bool = False
) -> WorkOrder:
    """The order if `principal` may see it. Other people's orders are 404, not 403: their
    existence is not the caller's business."""
    order = await lock_work_order(session, order_id) if lock else await session.get(WorkOrder, order_id)
    if order is None or not _may_see(principal, order):
        raise NotFound("No such work order", work_order_id=str(order_id))
    return order


def _may_see(principal: Principal, order: WorkOrder) -> bool:
    if is_staff(principal):
        return True
    if principal.role is Role.CUSTOMER:
        return principal.customer_id is not None and order.customer_id == principal.customer_id
    if principal.role is Role.TECHNICIAN:
        return principal.technician_id is not None and order.technician_id == principal.technician_id
    return False


# ----------------------------------------------------------------------------- escalation


async def escalate_ticket(
    session: AsyncSession,
    request: Escalation,
    *,
    actor: Principal | None,
    now: datetime,
    geocoder: Geocoder | None = None,
    horizon_days: int = 7,
) -> EscalationResult:
    existing = await _order_for_ticket(session, request.source, request.external_ref)
    if existing is not None:
        return await _append(session, existing, request, actor=actor, now=now)

    category = await _category(session, request.category)
    if category is not None and category.remote_fixable and not request.insist_on_visit:
        return EscalationResult(
            EscalationOutcome.RESOLVE_REMOTELY,
            None,
            knowledge_base_hint=category.knowledge_base_hint,
            category=category.code,
        )
    skills = await _required_skills(session, category, request.required_skills)
    if not skills:
        raise InvalidInput("Give a category or required_skills: a visit needs to know who can do it")
    lat, lng, address = await _locate(request, geocoder)
    customer = (
        await session.get(Customer, request.customer_id)
        if request.customer_id
        else await _upsert_customer(session, request.helpdesk, request.customer)
    )
    if customer is None:
        raise InvalidInput("Unknown customer", customer_id=str(request.customer_id))

    priority = request.priority or 3
    duration_s = request.duration_s or (category.duration_s if category else 3600)
    priced = quote(
        category=category,
        duration_s=duration_s,
        priority=priority,
        tier=customer.tier,
        policy=load_money_policy(),
        currency=DEFAULT_CURRENCY,
    )
    targets = await targets_for(session, customer.tier, priority)
    response_due, sla_due = due_times(now, targets, request.sla_due_at)
    certs = sorted(
        {*(category.required_certifications if category else []), *request.required_certifications}
    )
    order = WorkOrder(
        source=request.source,
        external_ref=request.external_ref,
        customer_id=customer.id,
        region=request.region or await region_for_location(session, lat, lng),
        lat=lat,
        lng=lng,
        address=address,
        category_code=category.code if category else None,
        summary=request.summary,
        context={"helpdesk": request.helpdesk, "ticket_id": request.ticket_id, "entries": []},
        required_skills=[{"code": c, "min_level": lvl} for c, lvl in skills],
        required_certifications=certs,
        duration_s=duration_s,
        priority=priority,
        sla_due_at=sla_due,
        response_due_at=response_due,
        price_minor=priced.price_minor,
        fee_minor=priced.fee_minor,
        currency=priced.currency,
        created_by=actor.user_id if actor else None,
        created_at=now,
        updated_at=now,
    )
    order.context = _with_entry(order.context, request, actor=actor, now=now)[0]
    try:
        async with session.begin_nested():
            session.add(order)
            await session.flush()
    except IntegrityError:
        # the same ticket arrived concurrently and won: become a context update
        winner = await _order_for_ticket(session, request.source, request.external_ref)
        if winner is None:
            raise
        return await _append(session, winner, request, actor=actor, now=now)

    await record_event(
        session,
        order,
        "escalated",
        actor=actor,
        reason=request.summary[:500],
        data={
            "helpdesk": request.helpdesk,
            "ticket_id": request.ticket_id,
            "sla_policy": targets.source,
            "sla_due_at": sla_due.isoformat(),
            "response_due_at": response_due.isoformat(),
        },
        now=now,
    )
    await transition(
        session,
        order,
        S.TRIAGED,
        actor=actor,
        reason=f"triaged as {category.code}" if category else "skills given by the agent",
        data={"required_skills": order.required_skills, "duration_s": order.duration_s},
        now=now,
    )
    await _flag_if_unplaceable(session, order, customer, actor=actor, now=now, horizon_days=horizon_days)
    await _dispatch_now_if_urgent(session, order, now=now)
    await outbox.enqueue(  # the customer's "choose your visit time" link
        session,
        SEND_ORDER_LINK_TASK,
        {"work_order_id": str(order.id)},
        dedupe_key=f"link:{order.id}",
        now=now,
    )
    return EscalationResult(EscalationOutcome.CREATED, order, category=order.category_code)


async def _dispatch_now_if_urgent(session: AsyncSession, order: WorkOrder, *, now: datetime) -> None:
    """Urgent orders start the instant offer cascade as soon as this transaction commits,
    instead of waiting for the periodic sweep (which remains the safety net). The dedupe key
    is the one the sweep uses for "no offers yet", so the two never double up."""
    if order.priority <= load_dispatch_config().urgent_priority and order.status == S.TRIAGED:
        await outbox.enqueue(
            session,
            INSTANT_DISPATCH_TASK,
            {"work_order_id": str(order.id)},
            dedupe_key=f"instant:{order.id}:0",
            now=now,
        )


async def _order_for_ticket(session: AsyncSession, source: str, external_ref: str) -> WorkOrder | None:
    found = (
        await session.execute(
            select(WorkOrder.id).where(WorkOrder.source == source, WorkOrder.external_ref == external_ref)
        )
    ).scalar_one_or_none()
    return None if found is None else await lock_work_order(session, found)


async def _append(
    session: AsyncSession, order: WorkOrder, request: Escalation, *, actor: Principal | None, now: datetime
) -> EscalationResult:
    context, added = _with_entry(order.context, request, actor=actor, now=now)
    if added:
        order.context = context
        order.updated_at = now
        await record_event(
            session,
            order,
            "context_appended",
            actor=actor,
            reason=request.summary[:500],
            data={"entry": context["entries"][-1]},
            now=now,
        )
    return EscalationResult(
        EscalationOutcome.EXISTING, order, category=order.category_code, context_appended=added
    )


def _with_entry(
    context: dict[str, Any], request: Escalation, *, actor: Principal | None, now: datetime
) -> tuple[dict[str, Any], bool]:
    """A new context dict with the request's support context appended (unless the very
    same content is already there: a retried delivery adds nothing)."""
    c = request.context
    content = {
        "summary": request.summary,
        "transcript_excerpt": c.transcript_excerpt,
        "device": c.device,
        "steps_tried": list(c.steps_tried),
        "notes": c.notes,
    }
    fp = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]
    entries = list(context.get("entries", []))
    if any(e.get("fingerprint") == fp for e in entries):
        return context, False
    entry = {
        **content,
        "fingerprint": fp,
        "at": now.isoformat(),
        "by": actor.key if actor else f"helpdesk:{request.helpdesk}",
    }
    return {**context, "entries": [*entries, entry]}, True


async def _category(session: AsyncSession, code: str | None) -> ServiceCategory | None:
    if code is None:
        return None
    category = await session.get(ServiceCategory, code)
    if category is None:
        raise InvalidInput(f"Unknown category {code!r}", category=code)
    return category


async def _required_skills(
    session: AsyncSession, category: ServiceCategory | None, explicit: tuple[tuple[str, int], ...]
) -> list[tuple[str, int]]:
    levels: dict[str, int] = {}
    for s in category.required_skills if category else []:
        levels[str(s["code"])] = max(levels.get(str(s["code"]), 0), int(s.get("min_level", 1)))
    for code, level in explicit:
        levels[code] = max(levels.get(code, 0), level)
    if levels:
        known = set(
            (await session.execute(select(Skill.code).where(col(Skill.code).in_(list(levels))))).scalars()
        )
        unknown = sorted(set(levels) - known)
        if unknown:
            raise InvalidInput(f"Unknown skills: {', '.join(unknown)}", unknown_skills=unknown)
    return sorted(levels.items())


async def _locate(request: Escalation, geocoder: Geocoder | None) -> tuple[float, float, str | None]:
    if request.lat is not None and request.lng is not None:
        return request.lat, request.lng, request.address
    if not request.address:
        raise InvalidInput("Give the visit location: lat/lng or an address")
    place = await (geocoder or current_geocoder()).geocode(request.address)
    return place.lat, place.lng, request.address


async def _upsert_customer(session: AsyncSession, helpdesk: str, ref: CustomerRef) -> Customer:
    query = select(Customer).where(
        Customer.external_source == helpdesk, Customer.external_ref == ref.external_id
    )
    customer = (await session.execute(query)).scalar_one_or_none()
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
            customer = (await session.execute(query)).scalar_one()
    # the helpdesk is the source of truth for contact data and tier
    customer.name = ref.name
    customer.email = ref.email or customer.email
    customer.phone = ref.phone or customer.phone
    customer.tier = ref.tier
    if ref.timezone:
        customer.timezone = ref.timezone
    await session.flush()
    return customer


async def _flag_if_unplaceable(
    session: AsyncSession,
    order: WorkOrder,
    customer: Customer,
    *,
    actor: Principal | None,
    now: datetime,
    horizon_days: int,
) -> None:
    """Better the right person later than the wrong person now: when no qualified
    technician can finish within the SLA, the order goes to `needs_callback` with the
    earliest qualified option as an honest ETA, and support is told."""
    found = await search_slots(
        session, order, tier=customer.tier, tz=customer.timezone, now=now, days=horizon_days
    )
    if found.availability is Availability.AVAILABLE:
        return
    earliest = found.earliest
    data: dict[str, Any] = {
        "availability": found.availability.value,
        "qualified": found.qualified_technicians,
    }
    if earliest is not None:
        data["earliest_arrival"] = from_epoch(earliest.earliest_arrival).isoformat()
        data["earliest_window"] = [
            from_epoch(earliest.start).isoformat(),
            from_epoch(earliest.end).isoformat(),
        ]
    reason = {
        Availability.SLA_AT_RISK: "no qualified technician can finish within the SLA",
        Availability.NO_AVAILABILITY: "no qualified technician is free in the booking horizon",
        Availability.NO_QUALIFIED_TECHNICIAN: "no qualified technician serves this location",
    }[found.availability]
    await transition(session, order, S.NEEDS_CALLBACK, actor=None, reason=reason, data=data, now=now)
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"needs-callback:{order.id}:{order.updated_at.isoformat()}",
            kind="work_order.needs_callback",
            subject=f"Work order needs a call: {reason}",
            body=order.summary,
            recipient_role=Role.AGENT.value,
            work_order_id=order.id,
            data=data,
            webhook=False,
        ),
        now=now,
    )


# ----------------------------------------------------------------------------- expedite


async def expedite_work_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, reason: str, now: datetime
) -> WorkOrder:
    """Raise to P1 (emergency) with a reason: audited, SLA tightened, dispatch triggered."""
    if not (principal.role is Role.ADMIN or (principal.role is Role.AGENT and principal.can_expedite)):
        raise Forbidden("Expediting needs an agent with expedite authority")
    order = await visible_order(session, principal, order_id, lock=True)
    if S(order.status) in TERMINAL or S(order.status) in (S.ON_SITE, S.FAILED):
        raise IllegalTransition(
            f"A {order.status} work order cannot be expedited", current_status=order.status
        )
    before = order.priority
    customer = await session.get(Customer, order.customer_id)
    targets = await targets_for(session, customer.tier if customer else "standard", 1)
    response_due, sla_due = due_times(order.created_at, targets, order.sla_due_at)
    order.priority = 1
    order.sla_due_at = sla_due
    order.response_due_at = min(filter(None, [order.response_due_at, response_due]))
    order.updated_at = now
    if not await price_is_agreed(session, order.id):  # a card hold keeps the price it was made for
        await price_work_order(session, order)
    await record_event(
        session,
        order,
        "expedited",
        actor=principal,
        reason=reason,
        data={
            "priority_before": before,
            "priority": 1,
            "sla_due_at": sla_due.isoformat(),
            "price_minor": order.price_minor,
        },
        now=now,
    )
    await outbox.enqueue(
        session,
        DISPATCH_TASK,
        {"work_order_id": str(order.id), "reason": "expedited"},
        dedupe_key=f"dispatch:{order.id}:expedite:{now.isoformat()}",
        now=now,
    )
    return order


# ----------------------------------------------------------------------------- reads


async def events_of(session: AsyncSession, order_id: uuid.UUID) -> list[WorkOrderEvent]:
    query = (
        select(WorkOrderEvent)
        .where(WorkOrderEvent.work_order_id == order_id)
        .order_by(col(WorkOrderEvent.at), col(WorkOrderEvent.id))
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: tuple[str, ...] = ()
    priority: int | None = None
    customer_id: uuid.UUID | None = None
    source: str | None = None
    sla_due_before: datetime | None = None


async def list_work_orders(
    session: AsyncSession, principal: Principal, filters: OrderFilter, *, cursor: str | None, limit: int
) -> tuple[list[WorkOrder], str | None]:
    """Newest first; customers see only their own orders whatever filter they send."""
    query = select(WorkOrder)
    if principal.role is Role.CUSTOMER:
        query = query.where(WorkOrder.customer_id == principal.customer_id)
    elif principal.role is Role.TECHNICIAN:
        query = query.where(WorkOrder.technician_id == principal.technician_id)
    if filters.customer_id is not None:
        query = query.where(WorkOrder.customer_id == filters.customer_id)
    if filters.status:
        query = query.where(col(WorkOrder.status).in_(filters.status))
    if filters.priority is not None:
        query = query.where(WorkOrder.priority == filters.priority)
    if filters.source is not None:
        query = query.where(WorkOrder.source == filters.source)
    if filters.sla_due_before is not None:
        query = query.where(col(WorkOrder.sla_due_at) < filters.sla_due_before)
    page = await keyset_page(
        session,
        query,
        sort_column=col(WorkOrder.created_at),
        id_column=col(WorkOrder.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda o: o.created_at,
        id_of=lambda o: o.id,
        descending=True,
    )
    return page.items, page.next_cursor
