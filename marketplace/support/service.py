"""'Talk to a human': callback requests for support, carrying the visit's context."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.auth import Principal
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.errors import Forbidden
from marketplace.notifications.service import send_notification
from marketplace.support.models import CallbackRequest
from marketplace.users.models import Role
from marketplace.work_orders.service import visible_order
from marketplace.work_orders.state import record_event


async def request_human(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    reason: str,
    phone: str | None,
    preferred_time: str | None,
    now: datetime,
) -> CallbackRequest:
    """Open a callback request (any stage of the work order, even cancelled or done)."""
    if principal.role is not Role.CUSTOMER or principal.customer_id is None:
        raise Forbidden("Only the customer asks for a callback")
    order = await visible_order(session, principal, order_id)
    appointment = (
        await session.execute(
            select(Appointment)
            .where(Appointment.work_order_id == order.id)
            .order_by(col(Appointment.created_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    context = {
        "work_order": {
            "id": str(order.id),
            "status": order.status,
            "summary": order.summary,
            "external_ref": order.external_ref,
            "priority": order.priority,
            "sla_due_at": order.sla_due_at.isoformat() if order.sla_due_at else None,
        },
        "support_context": order.context,
        "appointment": None
        if appointment is None
        else {
            "status": appointment.status,
            "window": [appointment.window_start.isoformat(), appointment.window_end.isoformat()],
            "live": appointment.status == AppointmentStatus.BOOKED,
        },
        "phone": phone,
        "preferred_time": preferred_time,
    }
    callback = CallbackRequest(
        work_order_id=order.id,
        customer_id=principal.customer_id,
        reason=reason,
        context=context,
        created_at=now,
    )
    session.add(callback)
    await session.flush()
    await record_event(
        session,
        order,
        "callback_requested",
        actor=principal,
        reason=reason,
        data={"callback_id": str(callback.id)},
    )
    await send_notification(
        session,
        dedupe_key=f"callback:{callback.id}",
        kind="support.callback_requested",
        subject=f"Customer asks for a call back: {reason[:120]}",
        body=order.summary,
        recipient_role=Role.AGENT.value,
        work_order_id=order.id,
        data={"callback_id": str(callback.id), "phone": phone},
    )
    return callback


async def list_callbacks(session: AsyncSession, *, status: str | None, limit: int) -> list[CallbackRequest]:
    query = select(CallbackRequest).order_by(col(CallbackRequest.created_at).desc()).limit(limit)
    if status:
        query = query.where(CallbackRequest.status == status)
    return list((await session.execute(query)).scalars())
