"""The fairness term's input: each technician's share of a region's recent earnings.

Read from the ledger's `won` rows (the pay each technician won) over a trailing window.
Dispatch adds `fairness_per_pct x share in percent` to a technician's cost, so whoever has
had most of the recent work is asked a little later than an equally good colleague.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.problem import Technician as DTechnician
from marketplace.fairness import repository

RECENT_WORK_WINDOW = timedelta(days=7)


def shares(earnings: dict[uuid.UUID, int]) -> dict[uuid.UUID, float]:
    """Each technician's part of the total, 0..1; nobody has a share of nothing."""
    total = sum(earnings.values())
    if total <= 0:
        return {}
    return {tid: amount / total for tid, amount in earnings.items()}


async def recent_earnings(
    session: AsyncSession, region: str, *, now: datetime, window: timedelta = RECENT_WORK_WINDOW
) -> dict[uuid.UUID, int]:
    """Pay won per technician in `region` over [now - window, now)."""
    return await repository.earnings_won(session, region, since=now - window, until=now)


async def with_recent_work(
    session: AsyncSession, region: str, technicians: Sequence[DTechnician], *, now: datetime
) -> list[DTechnician]:
    """`technicians` with `recent_work_share` filled in from the region's ledger."""
    if not technicians:
        return []
    share = shares(await recent_earnings(session, region, now=now))
    return [
        dataclasses.replace(t, recent_work_share=round(share.get(uuid.UUID(t.id), 0.0), 6))
        for t in technicians
    ]
