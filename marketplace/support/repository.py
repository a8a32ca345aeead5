"""Every support query, by name: callback requests, and what support reads of work orders,
their events and appointments, messages and people's names."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.bookings.models import Appointment
from marketplace.db_dialect import row_for_update
from marketplace.messages.models import Message
from marketplace.support.models import CallbackRequest
from marketplace.technicians.models import Technician
from marketplace.users.models import User
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent, WorkOrderStatus


async def callback_requests(
    session: AsyncSession, *, status: str | None, limit: int
) -> list[CallbackRequest]:
    """Callback requests (of one status when given), newest first."""
    query = select(CallbackRequest).order_by(col(CallbackRequest.created_at).desc()).limit(limit)
    if status:
        query = query.where(CallbackRequest.status == status)
    return list((await session.execute(query)).scalars())


async def locked_callback_request(session: AsyncSession, callback_id: uuid.UUID) -> CallbackRequest | None:
    """The callback request, row-locked on PostgreSQL."""
    return await row_for_update(session, CallbackRequest, callback_id)


async def callback_order(session: AsyncSession, order_id: uuid.UUID) -> WorkOrder | None:
    """The work order a callback request is about."""
    return await session.get(WorkOrder, order_id)


async def latest_appointment(session: AsyncSession, order_id: uuid.UUID) -> Appointment | None:
    """The order's most recently made appointment, live or not."""
    query = (
        select(Appointment)
        .where(Appointment.work_order_id == order_id)
        .order_by(col(Appointment.created_at).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def orders_needing_callback(session: AsyncSession, *, limit: int) -> list[WorkOrder]:
    """`needs_callback` orders, longest waiting first."""
    query = (
        select(WorkOrder)
        .where(WorkOrder.status == WorkOrderStatus.NEEDS_CALLBACK)
        .order_by(col(WorkOrder.updated_at), col(WorkOrder.id))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def moves_to_needs_callback(session: AsyncSession, order_ids: list[uuid.UUID]) -> list[WorkOrderEvent]:
    """The orders' events that moved them to `needs_callback`, oldest first."""
    query = (
        select(WorkOrderEvent)
        .where(
            col(WorkOrderEvent.work_order_id).in_(order_ids),
            WorkOrderEvent.to_status == WorkOrderStatus.NEEDS_CALLBACK,
        )
        .order_by(col(WorkOrderEvent.at))
    )
    return list((await session.execute(query)).scalars())


async def display_names(
    session: AsyncSession, model: type[User] | type[Technician], ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Display names of the given users or technicians, by id."""
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.display_name).where(col(model.id).in_(list(ids))))
    return {row_id: name for row_id, name in rows.all()}


async def messages_about(session: AsyncSession, work_order_id: uuid.UUID, *, limit: int) -> list[Message]:
    """Messages sent to anyone about the order, newest first (at most `limit`)."""
    query = (
        select(Message)
        .where(Message.work_order_id == work_order_id)
        .order_by(col(Message.created_at).desc(), col(Message.id))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
