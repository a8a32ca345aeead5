"""Availability: many short one-off windows, weekly templates expanded ahead, and time off.

Overlaps are refused twice: the service checks under a lock on the technician row (so two
concurrent requests of one technician run one after the other), and on PostgreSQL an
EXCLUDE constraint (`ex_shifts_no_overlap`, migration 0003) makes the database refuse an
overlapping window whatever path wrote it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import NotFound
from marketplace.pagination import Page
from marketplace.technicians import shift_repository as repo
from marketplace.technicians.errors import InvalidWindow, ShiftOverlap
from marketplace.technicians.models import Shift, ShiftTemplate, TimeOff
from marketplace.technicians.service import get_technician, own_technician_id

MAX_WINDOW = timedelta(hours=16)
MAX_RANGE = timedelta(days=62)
MAX_WINDOWS = 200
TEMPLATE_DAYS_AHEAD = 14


@dataclass(frozen=True, slots=True)
class Window:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    weekday: int  # 0 = Monday, in the technician's time zone
    start_minute: int
    end_minute: int


def _check_window(w: Window, index: int, what: str = "windows") -> None:
    if w.ends_at <= w.starts_at:
        raise InvalidWindow(
            f"{what}[{index}] ends before it starts ({w.starts_at.isoformat()} .. {w.ends_at.isoformat()})",
            field=f"{what}[{index}]",
        )
    if w.ends_at - w.starts_at > MAX_WINDOW:
        raise InvalidWindow(f"{what}[{index}] is longer than 16 hours; split it", field=f"{what}[{index}]")


def _check_no_overlap(windows: Sequence[Window]) -> None:
    ordered = sorted(enumerate(windows), key=lambda p: p[1].starts_at)
    for (i, a), (j, b) in itertools.pairwise(ordered):
        if b.starts_at < a.ends_at:
            raise ShiftOverlap(
                f"windows[{i}] and windows[{j}] overlap", field="windows", overlapping=[min(i, j), max(i, j)]
            )


async def _insert_shifts(session: AsyncSession, shifts: Sequence[Shift]) -> None:
    try:
        async with session.begin_nested():
            session.add_all(shifts)
            await session.flush()
    except sa.exc.IntegrityError as exc:  # ex_shifts_no_overlap: the database's own refusal
        raise ShiftOverlap("A window overlaps another of your shifts") from exc


async def set_shifts(
    session: AsyncSession,
    principal: Principal,
    *,
    range_from: datetime,
    range_until: datetime,
    windows: Sequence[Window],
) -> list[Shift]:
    """Replace the one-off and template shifts that start in [range_from, range_until).

    A PUT: sending the same body twice leaves the same shifts. Windows must lie inside the
    range and must not overlap each other or shifts outside the range.
    """
    technician_id = own_technician_id(principal)
    if range_until <= range_from or range_until - range_from > MAX_RANGE:
        raise InvalidWindow("The range must run forwards and span at most 62 days", field="until")
    if len(windows) > MAX_WINDOWS:
        raise InvalidWindow(f"At most {MAX_WINDOWS} windows per request", field="windows")
    for i, w in enumerate(windows):
        _check_window(w, i)
        if w.starts_at < range_from or w.starts_at >= range_until:
            raise InvalidWindow(
                f"windows[{i}] starts outside the range being replaced", field=f"windows[{i}]"
            )
    _check_no_overlap(windows)

    await get_technician(session, technician_id, lock=True)  # serialise this technician's writers
    await repo.delete_shifts_starting_in(session, technician_id, range_from, range_until)
    if windows:
        lo = min(w.starts_at for w in windows)
        hi = max(w.ends_at for w in windows)
        for other in await repo.shifts_overlapping(session, technician_id, lo, hi):
            for i, w in enumerate(windows):
                if w.starts_at < other.ends_at and other.starts_at < w.ends_at:
                    raise ShiftOverlap(
                        f"windows[{i}] overlaps your shift {other.starts_at.isoformat()} .. "
                        f"{other.ends_at.isoformat()}, which is outside the range being replaced",
                        field=f"windows[{i}]",
                    )
    new = [Shift(technician_id=technician_id, starts_at=w.starts_at, ends_at=w.ends_at) for w in windows]
    await _insert_shifts(session, new)
    return sorted(new, key=lambda s: s.starts_at)


async def list_shifts(
    session: AsyncSession,
    principal: Principal,
    *,
    range_from: datetime | None,
    range_until: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[Shift]:
    technician_id = own_technician_id(principal)
    return await repo.shifts_page(
        session, technician_id, range_from=range_from, range_until=range_until, cursor=cursor, limit=limit
    )


# --------------------------------------------------------------------------- weekly templates


def _check_slots(slots: Sequence[WeeklySlot]) -> None:
    for i, s in enumerate(slots):
        if not (0 <= s.start_minute < s.end_minute <= 1440):
            raise InvalidWindow(
                f"templates[{i}] must start before it ends, within one day (minutes 0..1440)",
                field=f"templates[{i}]",
            )
    by_day = sorted(enumerate(slots), key=lambda p: (p[1].weekday, p[1].start_minute))
    for (i, a), (j, b) in itertools.pairwise(by_day):
        if a.weekday == b.weekday and b.start_minute < a.end_minute:
            raise ShiftOverlap(f"templates[{i}] and templates[{j}] overlap", field="templates")


async def set_shift_templates(
    session: AsyncSession,
    principal: Principal,
    slots: Sequence[WeeklySlot],
    *,
    now: datetime,
    days_ahead: int = TEMPLATE_DAYS_AHEAD,
) -> list[ShiftTemplate]:
    """Replace the weekly template and re-expand it `days_ahead` days ahead.

    Future shifts made from the old template go; past ones stay (detached). Occurrences
    that would overlap a one-off shift or time off are skipped, not errors.
    """
    technician_id = own_technician_id(principal)
    _check_slots(slots)
    await get_technician(session, technician_id, lock=True)
    await repo.delete_shift_templates(session, technician_id, now=now)
    templates = [
        ShiftTemplate(
            technician_id=technician_id,
            weekday=s.weekday,
            start_minute=s.start_minute,
            end_minute=s.end_minute,
        )
        for s in slots
    ]
    session.add_all(templates)
    await session.flush()
    await expand_templates(session, technician_id, now=now, days_ahead=days_ahead, locked=True)
    return sorted(templates, key=lambda t: (t.weekday, t.start_minute))


async def list_shift_templates(session: AsyncSession, principal: Principal) -> list[ShiftTemplate]:
    return await repo.shift_templates(session, own_technician_id(principal))


def _occurrences(
    templates: Sequence[ShiftTemplate], zone: ZoneInfo, first_day: date, days: int
) -> list[tuple[ShiftTemplate, datetime, datetime]]:
    out = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        midnight = datetime.combine(day, time(0), zone)
        for t in templates:
            if t.weekday == day.weekday():
                out.append(
                    (
                        t,
                        midnight + timedelta(minutes=t.start_minute),
                        midnight + timedelta(minutes=t.end_minute),
                    )
                )
    return out


async def expand_templates(
    session: AsyncSession,
    technician_id: uuid.UUID,
    *,
    now: datetime,
    days_ahead: int = TEMPLATE_DAYS_AHEAD,
    locked: bool = False,
) -> int:
    """Materialise template shifts for the next `days_ahead` local days; safe to run daily.

    Returns how many shifts were added. Running it again adds nothing new.
    """
    tech = await get_technician(session, technician_id, lock=not locked)
    templates = await repo.shift_templates(session, technician_id)
    if not templates:
        return 0
    zone = ZoneInfo(tech.timezone)
    horizon = now + timedelta(days=days_ahead + 1)
    busy = [
        (s.starts_at, s.ends_at) for s in await repo.shifts_overlapping(session, technician_id, now, horizon)
    ]
    busy += [
        (t.starts_at, t.ends_at)
        for t in await repo.time_off_overlapping(session, technician_id, now, horizon)
    ]
    added: list[Shift] = []
    for template, start, end in _occurrences(templates, zone, now.astimezone(zone).date(), days_ahead):
        if end <= now or any(start < b_end and b_start < end for b_start, b_end in busy):
            continue
        added.append(
            Shift(technician_id=technician_id, starts_at=start, ends_at=end, template_id=template.id)
        )
        busy.append((start, end))
    if added:
        await _insert_shifts(session, added)
    return len(added)


# --------------------------------------------------------------------------- time off


async def add_time_off(
    session: AsyncSession, principal: Principal, *, starts_at: datetime, ends_at: datetime, reason: str | None
) -> TimeOff:
    """Time off wins over shifts: dispatch never offers work inside it."""
    technician_id = own_technician_id(principal)
    if ends_at <= starts_at:
        raise InvalidWindow("Time off must end after it starts", field="ends_at")
    if ends_at - starts_at > timedelta(days=366):
        raise InvalidWindow("Time off longer than a year: split it", field="ends_at")
    await get_technician(session, technician_id)
    entry = TimeOff(technician_id=technician_id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(entry)
    await session.flush()
    return entry


async def list_time_off(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[TimeOff]:
    return await repo.time_off_page(session, own_technician_id(principal), cursor=cursor, limit=limit)


async def delete_time_off(session: AsyncSession, principal: Principal, time_off_id: uuid.UUID) -> None:
    """Someone else's entry and a missing one look the same: 404 (clients treat a 404 retry as done)."""
    technician_id = own_technician_id(principal)
    entry = await repo.time_off_entry(session, time_off_id)
    if entry is None or entry.technician_id != technician_id:
        raise NotFound("No such time off")
    await session.delete(entry)
    await session.flush()


async def expand_all_templates(session: AsyncSession, *, now: datetime) -> int:
    """Daily job: extend every technician's template shifts `TEMPLATE_DAYS_AHEAD` days ahead."""
    ids = await repo.technicians_with_templates(session)
    total = 0
    for technician_id in sorted(ids):
        total += await expand_templates(session, technician_id, now=now)
    return total
