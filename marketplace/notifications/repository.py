"""Every notifications query, by name: recorded notifications, and the logins they go to."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.notifications.models import Notification
from marketplace.users.models import User


async def notifications_since(
    session: AsyncSession, kinds: Iterable[str], since: datetime, *, limit: int = 200
) -> list[Notification]:
    """Notifications of these kinds recorded after `since`, oldest first."""
    query = (
        select(Notification)
        .where(col(Notification.kind).in_(list(kinds)), col(Notification.created_at) > since)
        .order_by(col(Notification.created_at))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def customer_user_id(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID | None:
    """A login of the customer, if they have one."""
    return (await session.execute(select(User.id).where(User.customer_id == customer_id).limit(1))).scalar()


async def technician_user_id(session: AsyncSession, technician_id: uuid.UUID) -> uuid.UUID | None:
    """A login of the technician, if they have one."""
    return (
        await session.execute(select(User.id).where(User.technician_id == technician_id).limit(1))
    ).scalar()
