"""Every messages query, by name: message rows and inboxes, and what messages read of the
people they are sent to and the work orders they are about."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.customers.models import Customer
from marketplace.db_dialect import row_for_update
from marketplace.messages.models import Channel, Message
from marketplace.pagination import Page, page_of
from marketplace.technicians.models import Technician
from marketplace.users.models import User
from marketplace.work_orders.models import WorkOrder


async def message(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    return await session.get(Message, message_id)


async def locked_message(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    """The message, read afresh and row-locked on PostgreSQL."""
    return await row_for_update(session, Message, message_id)


async def inbox_page(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID | None = None,
    technician_id: uuid.UUID | None = None,
    cursor: str | None,
    limit: int,
) -> Page[Message]:
    """One page of a customer's (or else a technician's) inbox, newest first."""
    query = select(Message).where(Message.channel == Channel.INBOX)
    if customer_id is not None:
        query = query.where(Message.customer_id == customer_id)
    elif technician_id is not None:
        query = query.where(Message.technician_id == technician_id)
    return await page_of(session, query, Message, cursor=cursor, limit=limit)


async def recipient_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def recipient_technician(session: AsyncSession, technician_id: uuid.UUID) -> Technician | None:
    return await session.get(Technician, technician_id)


async def recipient_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def first_active_login(session: AsyncSession, **owner: uuid.UUID) -> User | None:
    """The oldest active login of a customer or technician (`customer_id=` or `technician_id=`)."""
    query = select(User).where(User.is_active == True)  # noqa: E712
    for column, value in owner.items():
        query = query.where(getattr(User, column) == value)
    return (await session.execute(query.order_by(col(User.created_at)).limit(1))).scalar_one_or_none()


async def work_order_told_about(session: AsyncSession, order_id: uuid.UUID) -> WorkOrder | None:
    """The work order a message is about."""
    return await session.get(WorkOrder, order_id)
