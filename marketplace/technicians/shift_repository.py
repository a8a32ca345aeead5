"""Availability queries, by name: shifts, weekly shift templates and time off."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.pagination import Page, page_of
from marketplace.technicians.models import Shift, ShiftTemplate, TimeOff

# --------------------------------------------------------------------------- shifts


async def shifts_overlapping(
    session: AsyncSession, technician_id: uuid.UUID, start: datetime, end: datetime
) -> list[Shift]:
    """The technician's shifts that overlap [start, end)."""
    query = select(Shift).where(
        Shift.technician_id == technician_id, col(Shift.ends_at) > start, col(Shift.starts_at) < end
    )
    return list((await session.execute(query)).scalars())


async def shifts_of_technicians_overlapping(
    session: AsyncSession, ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[Shift]:
    """The shifts of the technicians in `ids` that overlap [start, end)."""
    query = select(Shift).where(
        col(Shift.technician_id).in_(ids), col(Shift.ends_at) > start, col(Shift.starts_at) < end
    )
    return list((await session.execute(query)).scalars())


async def delete_shifts_starting_in(
    session: AsyncSession, technician_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    """Delete the technician's shifts (one-off and template ones) that start in [start, end)."""
    await session.execute(
        sa.delete(Shift).where(
            col(Shift.technician_id) == technician_id,
            col(Shift.starts_at) >= start,
            col(Shift.starts_at) < end,
        )
    )


async def shifts_page(
    session: AsyncSession,
    technician_id: uuid.UUID,
    *,
    range_from: datetime | None,
    range_until: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[Shift]:
    """The technician's shifts overlapping [range_from, range_until) (either end open when
    None), by start, one keyset page after `cursor`."""
    query = select(Shift).where(Shift.technician_id == technician_id)
    if range_from is not None:
        query = query.where(col(Shift.ends_at) > range_from)
    if range_until is not None:
        query = query.where(col(Shift.starts_at) < range_until)
    return await page_of(
        session, query, Shift, cursor=cursor, limit=limit, by="starts_at", newest_first=False
    )


# --------------------------------------------------------------------------- weekly templates


async def shift_templates(session: AsyncSession, technician_id: uuid.UUID) -> list[ShiftTemplate]:
    """The technician's weekly template slots, by weekday and start."""
    query = (
        select(ShiftTemplate)
        .where(ShiftTemplate.technician_id == technician_id)
        .order_by(col(ShiftTemplate.weekday), col(ShiftTemplate.start_minute))
    )
    return list((await session.execute(query)).scalars())


async def delete_shift_templates(session: AsyncSession, technician_id: uuid.UUID, *, now: datetime) -> None:
    """Delete the technician's weekly template with the shifts made from it that start at or
    after `now`; earlier shifts stay, no longer tied to a template."""
    old_ids = select(ShiftTemplate.id).where(ShiftTemplate.technician_id == technician_id)
    await session.execute(
        sa.delete(Shift).where(col(Shift.template_id).in_(old_ids), col(Shift.starts_at) >= now)
    )
    await session.execute(
        sa.update(Shift).where(col(Shift.template_id).in_(old_ids)).values(template_id=None)
    )
    await session.execute(sa.delete(ShiftTemplate).where(col(ShiftTemplate.technician_id) == technician_id))


async def technicians_with_templates(session: AsyncSession) -> list[uuid.UUID]:
    """Ids of the technicians that have a weekly template (each once, in no set order)."""
    query = select(ShiftTemplate.technician_id).distinct()
    return list((await session.execute(query)).scalars().all())


# --------------------------------------------------------------------------- time off


async def time_off_overlapping(
    session: AsyncSession, technician_id: uuid.UUID, start: datetime, end: datetime
) -> list[TimeOff]:
    """The technician's time off that overlaps [start, end)."""
    query = select(TimeOff).where(
        TimeOff.technician_id == technician_id,
        col(TimeOff.ends_at) > start,
        col(TimeOff.starts_at) < end,
    )
    return list((await session.execute(query)).scalars())


async def time_off_of_technicians_overlapping(
    session: AsyncSession, ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[TimeOff]:
    """The time off of the technicians in `ids` that overlaps [start, end)."""
    query = select(TimeOff).where(
        col(TimeOff.technician_id).in_(ids),
        col(TimeOff.ends_at) > start,
        col(TimeOff.starts_at) < end,
    )
    return list((await session.execute(query)).scalars())


async def time_off_entry(session: AsyncSession, time_off_id: uuid.UUID) -> TimeOff | None:
    """One time-off entry by id, whoever it belongs to."""
    return await session.get(TimeOff, time_off_id)


async def time_off_page(
    session: AsyncSession, technician_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[TimeOff]:
    """The technician's time off by start, one keyset page after `cursor`."""
    return await page_of(
        session,
        select(TimeOff).where(TimeOff.technician_id == technician_id),
        TimeOff,
        cursor=cursor,
        limit=limit,
        by="starts_at",
        newest_first=False,
    )
