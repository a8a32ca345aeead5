"""Shifts from the phone: short one-off windows, a weekly template, and time off."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.deps import AppSettings, DbSession, Now, SessionFactory
from api.tech_app.common import act, page, technician_zone
from api.tech_app.session import checked_form, technician
from api.web import formats
from marketplace.auth import Principal
from marketplace.errors import InvalidInput
from marketplace.technicians import shifts as service

WEEK_AHEAD = timedelta(days=7)
WEEKDAYS = range(7)


def _local_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Choose a day.") from None


def _minutes(value: str) -> int:
    try:
        hours, minutes = (int(part) for part in value.split(":", 1))
    except ValueError:
        raise InvalidInput("Times look like 09:30.") from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise InvalidInput("Times look like 09:30.")
    return hours * 60 + minutes


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=minutes)


def _day_range(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


async def _windows_of_day(
    session: Any, principal: Principal, day: date, tz: ZoneInfo
) -> tuple[datetime, datetime, list[service.Window]]:
    start, end = _day_range(day, tz)
    found = await service.list_shifts(
        session, principal, range_from=start, range_until=end, cursor=None, limit=100
    )
    return (
        start,
        end,
        [service.Window(s.starts_at, s.ends_at) for s in found.items if start <= s.starts_at < end],
    )


class ShiftPages(Controller):
    path = "/shifts"
    include_in_schema = False

    @get("")
    async def shifts(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        principal = technician(request)
        tz = await technician_zone(db_session, principal)
        upcoming = await service.list_shifts(
            db_session, principal, range_from=now, range_until=now + WEEK_AHEAD, cursor=None, limit=100
        )
        templates = await service.list_shift_templates(db_session, principal)
        time_off = await service.list_time_off(db_session, principal, cursor=None, limit=50)
        today = now.astimezone(tz).date()
        return page(
            request,
            settings,
            "shifts.html",
            tab="shifts",
            today=today.isoformat(),
            shifts=[
                {
                    "id": str(s.id),
                    "when": formats.span(s.starts_at, s.ends_at, tz),
                    "weekly": s.template_id is not None,
                    "now": s.starts_at <= now < s.ends_at,
                }
                for s in upcoming.items
            ],
            templates=[
                {
                    "id": str(t.id),
                    "weekday": t.weekday,
                    "start": f"{t.start_minute // 60:02d}:{t.start_minute % 60:02d}",
                    "end": f"{t.end_minute // 60:02d}:{t.end_minute % 60:02d}",
                }
                for t in templates
            ],
            time_off=[
                {
                    "id": str(t.id),
                    "when": f"{formats.day_and_clock(t.starts_at, tz)} \u2013 "
                    f"{formats.day_and_clock(t.ends_at, tz)}",
                    "reason": t.reason,
                }
                for t in time_off.items
                if t.ends_at > now
            ],
            weekdays=WEEKDAYS,
            note=note,
        )

    async def _act(
        self,
        request: Request[Any, Any, Any],
        now: datetime,
        db_session: Any,
        session_factory: Any,
        settings: Any,
        change: Callable[[Principal, dict[str, str], ZoneInfo], Awaitable[str]],
    ) -> Redirect:
        principal = technician(request)
        form = await checked_form(request, settings)
        tz = await technician_zone(db_session, principal)

        async def verb() -> str:
            return f"/tech/shifts?note={await change(principal, form, tz)}"

        return await act(
            request,
            principal=principal,
            db_session=db_session,
            session_factory=session_factory,
            settings=settings,
            now=now,
            verb=verb,
        )

    @post("/add", status_code=303)
    async def add_shift(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        async def change(principal: Principal, form: dict[str, str], tz: ZoneInfo) -> str:
            day = _local_date(form.get("day", ""))
            new = service.Window(
                _at(day, _minutes(form.get("start", "")), tz), _at(day, _minutes(form.get("end", "")), tz)
            )
            start, end, windows = await _windows_of_day(db_session, principal, day, tz)
            await service.set_shifts(
                db_session,
                principal,
                range_from=start,
                range_until=end,
                windows=sorted([*windows, new], key=lambda w: w.starts_at),
            )
            return "shift_added"

        return await self._act(request, now, db_session, session_factory, settings, change)

    @post("/{shift_id:uuid}/remove", status_code=303)
    async def remove_shift(
        self,
        request: Request[Any, Any, Any],
        shift_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        async def change(principal: Principal, form: dict[str, str], tz: ZoneInfo) -> str:
            upcoming = await service.list_shifts(
                db_session, principal, range_from=now, range_until=now + WEEK_AHEAD, cursor=None, limit=100
            )
            gone = next((s for s in upcoming.items if s.id == shift_id), None)
            if gone is None:
                return "shift_removed"  # already gone: a repeated tap is not an error
            day = gone.starts_at.astimezone(tz).date()
            start, end, windows = await _windows_of_day(db_session, principal, day, tz)
            keep = [w for w in windows if (w.starts_at, w.ends_at) != (gone.starts_at, gone.ends_at)]
            await service.set_shifts(db_session, principal, range_from=start, range_until=end, windows=keep)
            return "shift_removed"

        return await self._act(request, now, db_session, session_factory, settings, change)

    @post("/weekly", status_code=303)
    async def set_weekly(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        """Adds one weekly slot (`weekday`, `start`, `end`) or removes one (`remove` = its id)."""

        async def change(principal: Principal, form: dict[str, str], tz: ZoneInfo) -> str:
            current = await service.list_shift_templates(db_session, principal)
            slots = [
                service.WeeklySlot(t.weekday, t.start_minute, t.end_minute)
                for t in current
                if str(t.id) != form.get("remove")
            ]
            if not form.get("remove"):
                try:
                    weekday = int(form.get("weekday", ""))
                except ValueError:
                    raise InvalidInput("Choose a day of the week.") from None
                slots.append(
                    service.WeeklySlot(
                        weekday, _minutes(form.get("start", "")), _minutes(form.get("end", ""))
                    )
                )
            await service.set_shift_templates(db_session, principal, slots, now=now)
            return "weekly_saved"

        return await self._act(request, now, db_session, session_factory, settings, change)

    @post("/time-off", status_code=303)
    async def add_time_off(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        async def change(principal: Principal, form: dict[str, str], tz: ZoneInfo) -> str:
            first = _local_date(form.get("from_day", ""))
            last = _local_date(form.get("until_day", "") or form.get("from_day", ""))
            starts = _at(first, _minutes(form.get("from_time") or "00:00"), tz)
            ends = _at(last, _minutes(form.get("until_time") or "24:00"), tz)
            await service.add_time_off(
                db_session,
                principal,
                starts_at=starts,
                ends_at=ends,
                reason=form.get("reason", "").strip()[:500] or None,
            )
            return "time_off_added"

        return await self._act(request, now, db_session, session_factory, settings, change)

    @post("/time-off/{time_off_id:uuid}/remove", status_code=303)
    async def remove_time_off(
        self,
        request: Request[Any, Any, Any],
        time_off_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        async def change(principal: Principal, form: dict[str, str], tz: ZoneInfo) -> str:
            await service.delete_time_off(db_session, principal, time_off_id)
            return "time_off_removed"

        return await self._act(request, now, db_session, session_factory, settings, change)
