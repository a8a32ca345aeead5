"""Access-link queries, by name, and what links need of work orders and logins."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.access.models import AccessLink, Purpose
from marketplace.db_dialect import row_for_update
from marketplace.users.models import User
from marketplace.work_orders.repository import work_order as work_order


async def link_for_use(session: AsyncSession, link_id: uuid.UUID) -> AccessLink | None:
    """The link, locked where the database has row locks (so one of two racing uses wins)."""
    return await row_for_update(session, AccessLink, link_id)


async def revoke_outstanding(
    session: AsyncSession,
    purpose: Purpose,
    *,
    now: datetime,
    work_order_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> int:
    """Withdraw every unused, unrevoked, unexpired link of `purpose` (of the order and/or user
    when given) by setting `revoked_at`; how many."""
    query = sa.update(AccessLink).where(
        col(AccessLink.purpose) == purpose.value,
        col(AccessLink.used_at).is_(None),
        col(AccessLink.revoked_at).is_(None),
        col(AccessLink.expires_at) > now,
    )
    if work_order_id is not None:
        query = query.where(col(AccessLink.work_order_id) == work_order_id)
    if user_id is not None:
        query = query.where(col(AccessLink.user_id) == user_id)
    result = await session.execute(query.values(revoked_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def any_issued(session: AsyncSession, purpose: Purpose, *, work_order_id: uuid.UUID) -> bool:
    """Whether a link of `purpose` was ever issued for the order, in any state."""
    query = select(AccessLink.id).where(
        AccessLink.purpose == purpose.value, AccessLink.work_order_id == work_order_id
    )
    return (await session.execute(query.limit(1))).first() is not None


async def first_login_of(session: AsyncSession, customer_id: uuid.UUID) -> User | None:
    """The customer's oldest login, if they have one."""
    query = select(User).where(User.customer_id == customer_id).order_by(col(User.created_at)).limit(1)
    return (await session.execute(query)).scalar_one_or_none()
