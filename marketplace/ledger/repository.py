"""Every ledger query, by name: postings, entries and the sums read from them."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.ledger.models import LedgerEntry


async def correlation_exists(session: AsyncSession, correlation_id: str) -> bool:
    """True once any entry was posted under this correlation id."""
    found = await session.execute(
        select(LedgerEntry.id).where(LedgerEntry.correlation_id == correlation_id).limit(1)
    )
    return found.first() is not None


async def entries(
    session: AsyncSession,
    *,
    correlation_id: str | None = None,
    work_order_id: uuid.UUID | None = None,
    account: str | None = None,
) -> list[LedgerEntry]:
    """Entries matching every filter given, oldest first (then by correlation and account)."""
    query = select(LedgerEntry)
    if correlation_id is not None:
        query = query.where(LedgerEntry.correlation_id == correlation_id)
    if work_order_id is not None:
        query = query.where(LedgerEntry.work_order_id == work_order_id)
    if account is not None:
        query = query.where(LedgerEntry.account == account)
    query = query.order_by(
        col(LedgerEntry.created_at), col(LedgerEntry.correlation_id), col(LedgerEntry.account)
    )
    return list((await session.execute(query)).scalars())


async def balance(session: AsyncSession, account: str, currency: str) -> int:
    """Sum of an account's entries in one currency (0 for an account with none)."""
    total = await session.scalar(
        select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.account == account, LedgerEntry.currency == currency.lower()
        )
    )
    return int(total or 0)


async def account_amount(session: AsyncSession, *, correlation_id: str, account: str) -> int:
    """Sum of one account's entries inside one posting (e.g. the fee taken by a capture)."""
    total = await session.scalar(
        select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.correlation_id == correlation_id, LedgerEntry.account == account
        )
    )
    return int(total or 0)


async def unbalanced_correlations(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(correlation id, currency, sum) for every posting that does not sum to zero; [] when sound."""
    rows = await session.execute(
        select(
            LedgerEntry.correlation_id,
            LedgerEntry.currency,
            sa.func.sum(LedgerEntry.amount_minor),
        )
        .group_by(col(LedgerEntry.correlation_id), col(LedgerEntry.currency))
        .having(sa.func.sum(LedgerEntry.amount_minor) != 0)
    )
    return [(row[0], row[1], int(row[2])) for row in rows]
