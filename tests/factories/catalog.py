"""Skills and triage categories, through the catalog service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.catalog.models import ServiceCategory
from marketplace.catalog.service import add_skill, list_categories, list_skills, put_category


async def category(
    session: AsyncSession,
    code: str = "hvac.repair",
    *,
    now: datetime,
    base_price_minor: int = 12_000,
    duration_s: int = 3600,
    skills: tuple[tuple[str, int], ...] = (),
) -> ServiceCategory:
    """The category `code` (created once, left as it is when it exists), with its skills."""
    existing = {c.code: c for c in await list_categories(session)}
    if code in existing:
        return existing[code]
    known = {s.code for s in await list_skills(session)}
    for skill, _level in skills:
        if skill not in known:
            await add_skill(session, code=skill, name=skill, now=now)
    created, _ = await put_category(
        session,
        code=code,
        name=code,
        required_skills=list(skills),
        required_certifications=[],
        duration_s=duration_s,
        remote_fixable=False,
        knowledge_base_hint=None,
        base_price_minor=base_price_minor,
    )
    return created
