"""Technician queries, by name: accounts, skills, certifications and location.

Shifts, weekly templates and time off are in `shift_repository`; earnings (which read work
orders, visits and payouts) in `earnings_repository`, so that the domains that only need
technicians do not import those.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.catalog.models import Skill
from marketplace.db_dialect import row_for_update
from marketplace.pagination import Page, page_of
from marketplace.technicians.models import (
    Certification,
    CertificationStatus,
    LocationPing,
    Technician,
    TechnicianSkill,
)
from marketplace.users.models import User

# --------------------------------------------------------------------------- technicians


async def technician(
    session: AsyncSession, technician_id: uuid.UUID, *, lock: bool = False
) -> Technician | None:
    """The technician row, read with SELECT; `lock` takes a row lock where the database has them."""
    return await row_for_update(session, Technician, technician_id, lock=lock)


async def cached_technician(
    session: AsyncSession, technician_id: uuid.UUID, *, refresh: bool = False
) -> Technician | None:
    """The technician by primary key through the session's identity map; `refresh` reads the
    row again over what the session holds."""
    return await session.get(Technician, technician_id, populate_existing=refresh)


async def technicians_page(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> Page[Technician]:
    """Technicians oldest first, optionally of one status, one keyset page after `cursor`."""
    query = select(Technician)
    if status:
        query = query.where(Technician.status == status)
    return await page_of(session, query, Technician, cursor=cursor, limit=limit, newest_first=False)


async def display_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of the technicians in `ids` (missing ones are left out)."""
    rows = await session.execute(
        select(Technician.id, Technician.display_name).where(col(Technician.id).in_(list(ids)))
    )
    return dict(rows.tuples().all())


async def login_email(session: AsyncSession, technician_id: uuid.UUID) -> str | None:
    """The e-mail address of the technician's login, if it has one."""
    query = select(User.email).where(User.technician_id == technician_id)
    return (await session.execute(query)).scalar()


# --------------------------------------------------------------------------- skills


async def known_skill_codes(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    """Those of `codes` that the skill catalogue has."""
    query = select(Skill.code).where(col(Skill.code).in_(codes))
    return set((await session.execute(query)).scalars())


async def delete_skills(session: AsyncSession, technician_id: uuid.UUID) -> None:
    """Remove every skill the technician has listed."""
    await session.execute(
        sa.delete(TechnicianSkill).where(col(TechnicianSkill.technician_id) == technician_id)
    )


async def skills_of(session: AsyncSession, technician_id: uuid.UUID) -> list[TechnicianSkill]:
    """The technician's skills, by skill code."""
    query = (
        select(TechnicianSkill)
        .where(TechnicianSkill.technician_id == technician_id)
        .order_by(col(TechnicianSkill.skill_code))
    )
    return list((await session.execute(query)).scalars())


async def skills_of_technicians(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[TechnicianSkill]:
    """Every skill of the technicians in `ids`."""
    query = select(TechnicianSkill).where(col(TechnicianSkill.technician_id).in_(ids))
    return list((await session.execute(query)).scalars())


# --------------------------------------------------------------------------- certifications


async def certification(session: AsyncSession, certification_id: uuid.UUID) -> Certification | None:
    """One certification by id, whoever holds it."""
    return await session.get(Certification, certification_id)


async def certifications_of(session: AsyncSession, technician_id: uuid.UUID) -> list[Certification]:
    """Every certification the technician declared, in the order declared."""
    query = (
        select(Certification)
        .where(Certification.technician_id == technician_id)
        .order_by(col(Certification.created_at), col(Certification.id))
    )
    return list((await session.execute(query)).scalars())


async def verified_certifications_of(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Certification]:
    """The verified certifications of the technicians in `ids` (expired ones included)."""
    query = select(Certification).where(
        col(Certification.technician_id).in_(ids),
        col(Certification.status) == CertificationStatus.VERIFIED,
    )
    return list((await session.execute(query)).scalars())


# --------------------------------------------------------------------------- location


async def insert_new_pings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Store location pings, skipping any the technician already sent for the same instant
    (INSERT … ON CONFLICT DO NOTHING); how many rows were stored."""
    table = LocationPing.__table__  # type: ignore[attr-defined]
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    stmt = insert.values(list(rows)).on_conflict_do_nothing(index_elements=["technician_id", "recorded_at"])
    result = await session.execute(stmt.returning(table.c.id))
    return len(result.all())


async def move_last_location(
    session: AsyncSession, technician_id: uuid.UUID, *, lat: float, lng: float, recorded_at: datetime
) -> bool:
    """Set the technician's current position unless it already has a newer one (one
    conditional UPDATE, so concurrent writers never move it backwards); whether it moved."""
    result = await session.execute(
        sa.update(Technician)
        .where(
            col(Technician.id) == technician_id,
            sa.or_(
                col(Technician.last_located_at).is_(None),
                col(Technician.last_located_at) < recorded_at,
            ),
        )
        .values(last_lat=lat, last_lng=lng, last_located_at=recorded_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
