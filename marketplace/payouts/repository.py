"""Every payout query, by name: payouts and onboarding links, and what payouts read of
technicians (their connected account) and their logins."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.db_dialect import row_for_update, supports_row_locks
from marketplace.payouts.models import Payout, PayoutAccountLink, PayoutStatus
from marketplace.technicians.models import Technician
from marketplace.users.models import User


async def payout_for_update(session: AsyncSession, payout_id: uuid.UUID) -> Payout | None:
    """The payout, re-read and locked (FOR UPDATE where the database has row locks) until
    the transaction ends."""
    return await row_for_update(session, Payout, payout_id, refresh=True)


async def technician_for_update(session: AsyncSession, technician_id: uuid.UUID) -> Technician | None:
    """The technician being paid, re-read and locked, so that one connected account is
    created and its `payouts_enabled` moved by one transaction at a time."""
    return await row_for_update(session, Technician, technician_id, refresh=True)


async def payout_for_order(session: AsyncSession, work_order_id: uuid.UUID) -> Payout | None:
    """The work order's payout, if any (at most one, by a unique index)."""
    return (
        await session.execute(select(Payout).where(Payout.work_order_id == work_order_id))
    ).scalar_one_or_none()


async def held_payouts_for_update(
    session: AsyncSession, *, technician_id: uuid.UUID | None, limit: int
) -> list[Payout]:
    """HELD payouts (of one technician, or anyone's) whose technician can now be paid,
    soonest due first; locked, skipping rows another transaction holds."""
    query = (
        select(Payout)
        .join(Technician, col(Technician.id) == col(Payout.technician_id))
        .where(
            Payout.status == PayoutStatus.HELD,
            col(Technician.payouts_enabled).is_(True),
            col(Technician.stripe_account_id).is_not(None),
        )
        .order_by(col(Payout.available_at))
        .limit(limit)
    )
    if technician_id is not None:
        query = query.where(Payout.technician_id == technician_id)
    if supports_row_locks(session):
        query = query.with_for_update(of=Payout, skip_locked=True)  # type: ignore[arg-type]
    return list((await session.execute(query)).scalars())


async def payout_count(session: AsyncSession, technician_id: uuid.UUID, status: PayoutStatus) -> int:
    """How many of the technician's payouts are in `status`."""
    query = select(Payout.id).where(Payout.technician_id == technician_id, Payout.status == status)
    return len((await session.execute(query)).all())


async def account_link(session: AsyncSession, link_id: uuid.UUID) -> PayoutAccountLink | None:
    return await session.get(PayoutAccountLink, link_id)


async def technician_for_account(session: AsyncSession, account_id: str) -> uuid.UUID | None:
    """The id of the technician whose Stripe connected account this is."""
    return await session.scalar(select(Technician.id).where(Technician.stripe_account_id == account_id))


async def technician_email(session: AsyncSession, technician_id: uuid.UUID) -> str | None:
    """An e-mail address of one of the technician's logins, for their connected account."""
    return await session.scalar(select(User.email).where(User.technician_id == technician_id).limit(1))
