"""'Talk to a human': callback requests for support, carrying the visit's context."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.bookings.models import AppointmentStatus
from marketplace.errors import Forbidden, NotFound
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.support import repository
from marketplace.support.models import CallbackRequest
from marketplace.users.models import Role
from marketplace.work_orders.reads import visible_order
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
    appointment = await repository.latest_appointment(session, order.id)
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
        now=now,
    )
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=f"callback:{callback.id}",
            kind="support.callback_requested",
            subject=f"Customer asks for a call back: {reason[:120]}",
            body=order.summary,
            recipient_role=Role.AGENT.value,
            work_order_id=order.id,
            data={"callback_id": str(callback.id), "phone": phone},
            webhook=False,
        ),
        now=now,
    )
    return callback


async def list_callbacks(session: AsyncSession, *, status: str | None, limit: int) -> list[CallbackRequest]:
    """Callback requests (of one status when given), newest first."""
    return await repository.callback_requests(session, status=status, limit=limit)


async def resolve_callback(
    session: AsyncSession, principal: Principal, callback_id: uuid.UUID, *, outcome: str, now: datetime
) -> CallbackRequest:
    """Support called the customer back: close the request with what was agreed.

    Safe to retry: resolving a resolved request changes nothing and returns it as it is.
    """
    if principal.role not in (Role.AGENT, Role.DISPATCHER, Role.ADMIN):
        raise Forbidden("Only support staff resolve callback requests")
    callback = await repository.locked_callback_request(session, callback_id)
    if callback is None:
        raise NotFound("No such callback request", callback_id=str(callback_id))
    if callback.status == "resolved":
        return callback
    callback.status = "resolved"
    callback.resolved_at = now
    callback.context = {
        **callback.context,
        "resolution": {"outcome": outcome, "by": principal.key, "at": now.isoformat()},
    }
    if callback.work_order_id is not None:
        order = await repository.callback_order(session, callback.work_order_id)
        if order is not None:
            await record_event(
                session,
                order,
                "callback_resolved",
                actor=principal,
                reason=outcome,
                data={"callback_id": str(callback.id)},
                now=now,
            )
    await session.flush()
    return callback
