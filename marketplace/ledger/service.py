"""The append-only ledger: every money movement as signed entries that sum to zero.

Accounts (signed minor units, one currency per entry):
- `customer:<id>`        negative = the customer paid us; refunds bring it back towards 0;
- `platform:fees`        the platform's revenue;
- `technician:<id>`      what we owe the technician (earned, not yet transferred);
- `technician_paid:<id>` what we transferred to the technician's connected account.

A posting is a set of entries sharing one correlation id (e.g. `capture:<payment id>`,
`payout:<payout id>`); a correlation is written once (a second `post` is a no-op), and a
correction is a new correlation whose entries reverse the old ones (`reverses_entry_id`).
Reading entries and balances is `repository.py`'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.ledger import repository as repo
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
    if await repo.correlation_exists(session, correlation_id):
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
    if await repo.correlation_exists(session, correlation_id):
        return False
    originals = await repo.entries(session, correlation_id=of_correlation_id)
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
