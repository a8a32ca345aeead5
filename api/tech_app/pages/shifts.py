"""Shifts from the phone: short one-off windows, a weekly template, and time off."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from api.tech_app.common import TechAction, TechScreen
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


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


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
    async def shifts(self, screen: TechScreen, note: FromQuery[str | None] = None) -> Template:
        db, principal, now = screen.db, screen.principal, screen.now
        tz = await screen.zone()
        upcoming = await service.list_shifts(
            db, principal, range_from=now, range_until=now + WEEK_AHEAD, cursor=None, limit=100
        )
        templates = await service.list_shift_templates(db, principal)
        time_off = await service.list_time_off(db, principal, cursor=None, limit=50)
        return screen.render(
            "shifts.html",
            tab="shifts",
            today=now.astimezone(tz).date().isoformat(),
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
                    "start": _hhmm(t.start_minute),
                    "end": _hhmm(t.end_minute),
                }
                for t in templates
            ],
            time_off=[
                {
                    "id": str(t.id),
                    "when": formats.period(t.starts_at, t.ends_at, tz),
                    "reason": t.reason,
                }
                for t in time_off.items
                if t.ends_at > now
            ],
            weekdays=WEEKDAYS,
            note=note,
        )

    @post("/add", status_code=303)
    async def add_shift(self, action: TechAction) -> Redirect:
        async def verb(form: dict[str, str]) -> str:
            tz = await action.zone()
            day = _local_date(form.get("day", ""))
            new = service.Window(
                _at(day, _minutes(form.get("start", "")), tz), _at(day, _minutes(form.get("end", "")), tz)
            )
            start, end, windows = await _windows_of_day(action.db, action.principal, day, tz)
            await service.set_shifts(
                action.db,
                action.principal,
                range_from=start,
                range_until=end,
                windows=sorted([*windows, new], key=lambda w: w.starts_at),
            )
            return "/tech/shifts?note=shift_added"

        return await action.run(verb)

    @post("/{shift_id:uuid}/remove", status_code=303)
    async def remove_shift(self, action: TechAction, shift_id: FromPath[uuid.UUID]) -> Redirect:
        async def verb(_form: dict[str, str]) -> str:
            tz = await action.zone()
            upcoming = await service.list_shifts(
                action.db,
                action.principal,
                range_from=action.now,
                range_until=action.now + WEEK_AHEAD,
                cursor=None,
                limit=100,
            )
            gone = next((s for s in upcoming.items if s.id == shift_id), None)
            if gone is not None:  # already gone: a repeated tap is not an error
                day = gone.starts_at.astimezone(tz).date()
                start, end, windows = await _windows_of_day(action.db, action.principal, day, tz)
                keep = [w for w in windows if (w.starts_at, w.ends_at) != (gone.starts_at, gone.ends_at)]
                await service.set_shifts(
                    action.db, action.principal, range_from=start, range_until=end, windows=keep
                )
            return "/tech/shifts?note=shift_removed"

        return await action.run(verb)

    @post("/weekly", status_code=303)
    async def set_weekly(self, action: TechAction) -> Redirect:
        """Adds one weekly slot (`weekday`, `start`, `end`) or removes one (`remove` = its id)."""

        async def verb(form: dict[str, str]) -> str:
            current = await service.list_shift_templates(action.db, action.principal)
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
            await service.set_shift_templates(action.db, action.principal, slots, now=action.now)
            return "/tech/shifts?note=weekly_saved"

        return await action.run(verb)

    @post("/time-off", status_code=303)
    async def add_time_off(self, action: TechAction) -> Redirect:
        async def verb(form: dict[str, str]) -> str:
            tz = await action.zone()
            first = _local_date(form.get("from_day", ""))
            last = _local_date(form.get("until_day", "") or form.get("from_day", ""))
            await service.add_time_off(
                action.db,
                action.principal,
                starts_at=_at(first, _minutes(form.get("from_time") or "00:00"), tz),
                ends_at=_at(last, _minutes(form.get("until_time") or "24:00"), tz),
                reason=form.get("reason", "").strip()[:500] or None,
            )
            return "/tech/shifts?note=time_off_added"

        return await action.run(verb)

    @post("/time-off/{time_off_id:uuid}/remove", status_code=303)
    async def remove_time_off(self, action: TechAction, time_off_id: FromPath[uuid.UUID]) -> Redirect:
        async def verb(_form: dict[str, str]) -> str:
            await service.delete_time_off(action.db, action.principal, time_off_id)
            return "/tech/shifts?note=time_off_removed"

        return await action.run(verb)
