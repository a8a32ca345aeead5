"""Every catalog query, by name: skills and service categories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.catalog.models import ServiceCategory, Skill


async def skill(session: AsyncSession, code: str) -> Skill | None:
    return await session.get(Skill, code)


async def skills(session: AsyncSession) -> list[Skill]:
    """The whole skill catalogue, by code."""
    return list((await session.execute(select(Skill).order_by(col(Skill.code)))).scalars())


async def known_skill_codes(session: AsyncSession, codes: list[str]) -> set[str]:
    """Which of `codes` name a skill in the catalogue."""
    return set((await session.execute(select(Skill.code).where(col(Skill.code).in_(codes)))).scalars())


async def category(session: AsyncSession, code: str) -> ServiceCategory | None:
    return await session.get(ServiceCategory, code)


async def categories(session: AsyncSession) -> list[ServiceCategory]:
    """Every service category, by code."""
    return list(
        (await session.execute(select(ServiceCategory).order_by(col(ServiceCategory.code)))).scalars()
    )
