"""Expediting a work order: raise it to P1 with a reason, tighten the SLA, ask dispatch."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events, outbox
from marketplace.auth import Principal
from marketplace.errors import Forbidden, IllegalTransition
from marketplace.sla.policy import due_times, targets_for
from marketplace.users.models import Role
from marketplace.work_orders import repository
from marketplace.work_orders.escalation import DISPATCH_TASK
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.reads import visible_order
from marketplace.work_orders.state import TERMINAL, record_event


def may_expedite(principal: Principal) -> bool:
    """Dispatchers and admins, whose job is the order in which work goes out, and agents with
    expedite authority. Support agents are many and close to the customer, so for them it is
    a granted right: expediting moves the customer's SLA and pushes other work back. Every
    expedite needs a reason and is audited."""
    if principal.role in (Role.ADMIN, Role.DISPATCHER):
        return True
    return principal.role is Role.AGENT and principal.can_expedite


async def expedite_work_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, reason: str, now: datetime
) -> WorkOrder:
    """Raise to P1 (emergency) with a reason: audited, SLA tightened, dispatch triggered."""
    if not may_expedite(principal):
        raise Forbidden("Expediting needs a dispatcher, an admin or an agent with expedite authority")
    order = await visible_order(session, principal, order_id, lock=True)
    if S(order.status) in TERMINAL or S(order.status) in (S.ON_SITE, S.FAILED):
        raise IllegalTransition(
            f"A {order.status} work order cannot be expedited", current_status=order.status
        )
    before = order.priority
    customer = await repository.customer(session, order.customer_id)
    targets = await targets_for(session, customer.tier if customer else "standard", 1)
    response_due, sla_due = due_times(order.created_at, targets, order.sla_due_at)
    order.priority = 1
    order.sla_due_at = sla_due
    order.response_due_at = min(filter(None, [order.response_due_at, response_due]))
    order.updated_at = now
    await events.publish(session, events.WorkOrderExpedited(order, now))  # re-priced unless a card holds it
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
