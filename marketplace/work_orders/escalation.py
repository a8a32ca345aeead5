"""Escalating a helpdesk ticket into a work order, and appending context to it.

Escalation is idempotent on (helpdesk, ticket id): the unique (source, external_ref) key
decides, so two racing deliveries of one ticket still make one work order; the loser
appends its context to the winner's order instead."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events, outbox
from marketplace.access.models import SEND_ORDER_LINK_TASK
from marketplace.auth import Principal
from marketplace.errors import InvalidInput
from marketplace.geocoding import Geocoder
from marketplace.pricing.policy import load_policy as load_money_policy
from marketplace.pricing.service import quote
from marketplace.regions import region_for_location
from marketplace.sla.policy import due_times, targets_for
from marketplace.work_orders import repository
from marketplace.work_orders.intake import (
    Escalation,
    EscalationOutcome,
    EscalationResult,
    category_by_code,
    locate,
    required_skills_for,
    upsert_customer,
)
from marketplace.work_orders.models import DEFAULT_CURRENCY, WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import lock_work_order, record_event, transition

DISPATCH_TASK = "work_orders.dispatch_requested"


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

    category = await category_by_code(session, request.category)
    if category is not None and category.remote_fixable and not request.insist_on_visit:
        return EscalationResult(
            EscalationOutcome.RESOLVE_REMOTELY,
            None,
            knowledge_base_hint=category.knowledge_base_hint,
            category=category.code,
        )
    skills = await required_skills_for(session, category, request.required_skills)
    if not skills:
        raise InvalidInput("Give a category or required_skills: a visit needs to know who can do it")
    lat, lng, address = await locate(request, geocoder)
    customer = (
        await repository.customer(session, request.customer_id)
        if request.customer_id
        else await upsert_customer(session, request.helpdesk, request.customer)
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
    await events.publish(
        session, events.WorkOrderTriaged(order, customer, horizon_days=horizon_days, now=now)
    )
    await outbox.enqueue(  # the customer's "choose your visit time" link
        session,
        SEND_ORDER_LINK_TASK,
        {"work_order_id": str(order.id)},
        dedupe_key=f"link:{order.id}",
        now=now,
    )
    return EscalationResult(EscalationOutcome.CREATED, order, category=order.category_code)


async def _order_for_ticket(session: AsyncSession, source: str, external_ref: str) -> WorkOrder | None:
    found = await repository.order_id_for_ticket(session, source, external_ref)
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
