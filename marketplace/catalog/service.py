"""Reference data verbs: the skill catalogue and the triage table (SLA policies: `sla/policies.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.catalog import repository
from marketplace.catalog.models import ServiceCategory, Skill
from marketplace.errors import Conflict, InvalidInput, NotFound


async def add_skill(session: AsyncSession, *, code: str, name: str, now: datetime) -> Skill:
    """Add a skill to the catalogue and tell dispatchers about it."""
    if await repository.skill(session, code) is not None:
        raise Conflict(f"Skill {code!r} already exists", code=code)
    skill = Skill(code=code, name=name)
    session.add(skill)
    await session.flush()
    await outbox.enqueue(
        session,
        "notifications.send",
        {
            "dedupe_key": f"skill-added:{code}",
            "kind": "catalog.skill_added",
            "subject": f"New skill in the catalogue: {name} ({code})",
            "recipient_role": "dispatcher",
        },
        now=now,
    )
    return skill


async def list_skills(session: AsyncSession) -> list[Skill]:
    return await repository.skills(session)


# ----------------------------------------------------------------------------- triage table


async def list_categories(session: AsyncSession) -> list[ServiceCategory]:
    return await repository.categories(session)


async def put_category(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    required_skills: list[tuple[str, int]],
    required_certifications: list[str],
    duration_s: int,
    remote_fixable: bool,
    knowledge_base_hint: str | None,
    base_price_minor: int,
) -> tuple[ServiceCategory, bool]:
    """Create or replace a triage category; returns (row, created)."""
    codes = sorted({c for c, _ in required_skills})
    known = await repository.known_skill_codes(session, codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(f"Unknown skills: {', '.join(unknown)}", unknown_skills=unknown)
    if remote_fixable and not knowledge_base_hint:
        raise InvalidInput("A remote-fixable category needs a knowledge-base hint for the agent")
    category = await repository.category(session, code)
    created = category is None
    if category is None:
        category = ServiceCategory(code=code, name=name)
        session.add(category)
    category.name = name
    category.required_skills = [{"code": c, "min_level": lvl} for c, lvl in sorted(required_skills)]
    category.required_certifications = sorted(set(required_certifications))
    category.duration_s = duration_s
    category.remote_fixable = remote_fixable
    category.knowledge_base_hint = knowledge_base_hint
    category.base_price_minor = base_price_minor
    await session.flush()
    return category, created


async def delete_category(session: AsyncSession, code: str) -> None:
    category = await repository.category(session, code)
    if category is None:
        raise NotFound(f"No category {code!r}", code=code)
    try:
        # work orders refer to their category by foreign key: the database refuses to delete
        # one in use, also when the order is written while this runs
        async with session.begin_nested():
            await session.delete(category)
            await session.flush()
    except IntegrityError:
        raise Conflict("Work orders use this category; it cannot be deleted", code=code) from None
