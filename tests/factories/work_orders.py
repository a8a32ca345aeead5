"""Work orders made the way support makes them: escalated through the intake service
(priced and given an SLA there), then moved through the state machine."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.work_orders.escalation import escalate_ticket
from marketplace.work_orders.intake import CustomerRef, Escalation
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import transition


async def escalated(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    now: datetime,
    category: str | None = "hvac.repair",
    lat: float = 52.37,
    lng: float = 4.89,
    summary: str = "Boiler makes a noise",
    priority: int = 3,
    duration_s: int | None = None,
    required_skills: tuple[tuple[str, int], ...] = (),
) -> WorkOrder:
    """A new work order for an existing customer, as an escalated ticket would create it."""
    result = await escalate_ticket(
        session,
        Escalation(
            helpdesk="tests",
            ticket_id=uuid.uuid4().hex,
            customer=CustomerRef(external_id=str(customer_id), name="Test Customer"),
            customer_id=customer_id,
            summary=summary,
            category=category,
            lat=lat,
            lng=lng,
            priority=priority,
            duration_s=duration_s,
            required_skills=required_skills,
        ),
        actor=None,
        now=now,
    )
    assert result.order is not None, result
    return result.order


async def advance(
    session: AsyncSession, order: WorkOrder, *statuses: WorkOrderStatus, now: datetime
) -> WorkOrder:
    """Move `order` through `statuses` in turn (each step must be a legal transition)."""
    for status in statuses:
        await transition(session, order, status, actor=None, now=now, reason="test set-up")
    return order
