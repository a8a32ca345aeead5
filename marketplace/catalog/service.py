"""Reference data verbs: the skill catalogue."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace import outbox
from marketplace.catalog.models import Skill
from marketplace.errors import Conflict


async def add_skill(session: AsyncSession, *, code: str, name: str) -> Skill:
    """Add a skill to the catalogue and tell dispatchers about it."""
    if await session.get(Skill, code) is not None:
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
    )
    return skill


async def list_skills(session: AsyncSession) -> list[Skill]:
    return list((await session.execute(select(Skill).order_by(col(Skill.code)))).scalars())
