"""The append-only ledger: every money movement as signed entries that sum to zero.

Accounts (signed minor units, one currency per entry):
- `customer:<id>`        negative = the customer paid us; refunds bring it back towards 0;
- `platform:fees`        the platform's revenue;
- `technician:<id>`      what we owe the technician (earned, not yet transferred);
- `technician_paid:<id>` what we transferred to the technician's connected account.

A posting is a set of entries sharing one correlation id (e.g. `capture:<payment id>`,
`payout:<payout id>`); a correlation is written once (a second `post` is a no-op), and a
correction is a new correlation whose entries reverse the old ones (`reverses_entry_id`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.ledger.models import LedgerEntry

PLATFORM_FEES = "platform:fees"


def customer_account(customer_id: uuid.UUID) -> str:
    return f"customer:{customer_id}"


def technician_account(technician_id: uuid.UUID) -> str:
    return f"technician:{technician_id}"


def technician_paid_account(technician_id: uuid.UUID) -> str:
    return f"technician_paid:{technician_id}"


class UnbalancedPosting(ValueError):
    """A posting whose entries do not sum to zero: a bug, never written."""


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    amount_minor: int
    kind: str  # charge, fee, earning, transfer, refund, reversal


async def post(
    session: AsyncSession,
    *,
    correlation_id: str,
    lines: Sequence[Line],
    currency: str,
    work_order_id: uuid.UUID | None = None,
    memo: str | None = None,
) -> bool:
    """Write a balanced posting once. False when this correlation was already posted."""
    lines = [line for line in lines if line.amount_minor != 0]
    if sum(line.amount_minor for line in lines) != 0:
        raise UnbalancedPosting(f"posting {correlation_id} does not sum to zero: {lines}")
    if await correlation_exists(session, correlation_id):
        return False
    for line in lines:
        session.add(
            LedgerEntry(
                correlation_id=correlation_id,
                account=line.account,
                amount_minor=line.amount_minor,
                currency=currency.lower(),
                kind=line.kind,
                work_order_id=work_order_id,
                memo=memo,
            )
        )
    await session.flush()
    return True


async def reverse(
    session: AsyncSession, *, correlation_id: str, of_correlation_id: str, memo: str | None = None
) -> bool:
    """Cancel a whole posting with mirror entries under a new correlation id."""
    if await correlation_exists(session, correlation_id):
        return False
    originals = await entries(session, correlation_id=of_correlation_id)
    for entry in originals:
        session.add(
            LedgerEntry(
                correlation_id=correlation_id,
                account=entry.account,
                amount_minor=-entry.amount_minor,
                currency=entry.currency,
                kind="reversal",
                work_order_id=entry.work_order_id,
                reverses_entry_id=entry.id,
                memo=memo,
            )
        )
    await session.flush()
    return bool(originals)


async def correlation_exists(session: AsyncSession, correlation_id: str) -> bool:
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
