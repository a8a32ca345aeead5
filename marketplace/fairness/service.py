"""Fairness of a region over a period, read from the dispatch ledger and shifts.

The population is the qualified, available technicians: everyone the ledger ranked or
offered work to in that region and period (the hard filters, skills, certificates, radius
and shifts, had let them through). Their available time is their shift time in the period.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.fairness import repository
from marketplace.fairness.metrics import Fairness, TechnicianPeriod, fairness
from marketplace.fairness.models import DecisionKind


async def region_fairness(session: AsyncSession, region: str, *, start: datetime, end: datetime) -> Fairness:
    rows = await repository.region_decisions(session, region, start=start, end=end)
    population = {r.technician_id for r in rows if r.kind in (DecisionKind.RANKED, DecisionKind.OFFERED)}
    counts: dict[uuid.UUID, dict[str, int]] = {tid: defaultdict(int) for tid in population}
    for r in rows:
        counts_of = counts.get(r.technician_id)
        if counts_of is None:
            continue
        counts_of[r.kind] += 1
        if r.kind == DecisionKind.WON:
            counts_of["earnings"] += r.earnings_minor or 0
    available: dict[uuid.UUID, int] = defaultdict(int)
    if counts:
        for s in await repository.shifts_overlapping(session, list(counts), start=start, end=end):
            available[s.technician_id] += int((min(s.ends_at, end) - max(s.starts_at, start)).total_seconds())
    return fairness(
        [
            TechnicianPeriod(
                technician_id=str(tid),
                available_s=available[tid],
                offered=c[DecisionKind.OFFERED],
                won=c[DecisionKind.WON],
                declined=c[DecisionKind.DECLINED],
                expired=c[DecisionKind.EXPIRED],
                earnings_minor=c["earnings"],
            )
            for tid, c in counts.items()
        ]
    )
