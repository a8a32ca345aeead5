"""Every SLA query, by name: the stored policy rows (tier x priority -> targets)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from marketplace.catalog.models import SlaPolicy


async def sla_policies(session: AsyncSession) -> list[SlaPolicy]:
    """Every stored policy row, in no particular order."""
    return list((await session.execute(select(SlaPolicy))).scalars())


async def sla_policy(session: AsyncSession, tier: str, priority: int) -> SlaPolicy | None:
    """The stored row for the tier and priority, if any."""
    query = select(SlaPolicy).where(SlaPolicy.tier == tier, SlaPolicy.priority == priority)
    return (await session.execute(query)).scalar_one_or_none()
