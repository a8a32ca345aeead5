"""Availability: one-off windows, weekly templates, time off."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, QueryParameter

from api.idempotency import idempotent
from marketplace.auth import requires
from marketplace.technicians import shifts as service
from marketplace.users.models import Role
from mobile_api.common import Cursor, Limit, aware, body, problem_responses
from mobile_api.deps import CurrentPrincipal, DbSession, Now
from mobile_api.shifts.schemas import (
    SetShiftsIn,
    SetTemplatesIn,
    ShiftOut,
    ShiftPage,
    SlotOut,
    TimeOffIn,
    TimeOffOut,
    TimeOffPage,
    hhmm,
    minutes,
)

SHIFTS_EXAMPLE = {
    "from": "2026-05-04T00:00:00+02:00",
    "until": "2026-05-05T00:00:00+02:00",
    "windows": [
        {"starts_at": "2026-05-04T09:00:00+02:00", "ends_at": "2026-05-04T11:30:00+02:00"},
        {"starts_at": "2026-05-04T17:00:00+02:00", "ends_at": "2026-05-04T20:00:00+02:00"},
    ],
}
TechOnly = [requires(Role.TECHNICIAN)]
QueryTime = Annotated[datetime | None, QueryParameter(required=False, description="UTC ISO 8601")]


def _shift_out(s: Any) -> ShiftOut:
    return ShiftOut(
        id=str(s.id), starts_at=s.starts_at, ends_at=s.ends_at, from_template=s.template_id is not None
    )


def _time_off_out(t: Any) -> TimeOffOut:
    return TimeOffOut(id=str(t.id), starts_at=t.starts_at, ends_at=t.ends_at, reason=t.reason)


class ShiftsController(Controller):
    path = ""
    tags = ["mobile: shifts"]
    guards = TechOnly

    @put("/shifts", operation_id="setShifts", responses=problem_responses(422))
    async def set_shifts(
        self,
        data: Annotated[SetShiftsIn, body(SHIFTS_EXAMPLE)],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> list[ShiftOut]:
        """Replace every shift that starts in [`from`, `until`) with `windows`.

        Send many short windows ("today 09:00-11:30 and 17:00-20:00"). Idempotent (a PUT).
        Inverted windows are 422 `invalid-window`; windows overlapping each other or a shift
        outside the range are 422 `shift-overlap`.
        """
        windows = [
            service.Window(
                aware(w.starts_at, f"windows[{i}].starts_at"), aware(w.ends_at, f"windows[{i}].ends_at")
            )
            for i, w in enumerate(data.windows)
        ]
        rows = await service.set_shifts(
            db_session,
            principal,
            range_from=aware(data.range_from, "from"),
            range_until=aware(data.until, "until"),
            windows=windows,
        )
        return [_shift_out(s) for s in rows]

    @get("/shifts", operation_id="listShifts")
    async def list_shifts(
        self,
        db_session: DbSession,
        principal: CurrentPrincipal,
        range_from: Annotated[datetime | None, QueryParameter(name="from", required=False)] = None,
        until: QueryTime = None,
        cursor: Cursor = None,
        limit: Limit = 20,
    ) -> ShiftPage:
        """Your shifts (one-off and from templates) overlapping [from, until), earliest first."""
        page = await service.list_shifts(
            db_session,
            principal,
            range_from=aware(range_from, "from") if range_from else None,
            range_until=aware(until, "until") if until else None,
            cursor=cursor,
            limit=limit,
        )
        return ShiftPage(items=[_shift_out(s) for s in page.items], next_cursor=page.next_cursor)

    @put("/shift-templates", operation_id="setShiftTemplates", responses=problem_responses(422))
    async def set_templates(
        self,
        now: Now,
        data: Annotated[
            SetTemplatesIn,
            body(
                {
                    "templates": [
                        {"weekday": 0, "start": "08:00", "end": "12:00"},
                        {"weekday": 2, "start": "17:00", "end": "21:00"},
                    ]
                }
            ),
        ],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> list[SlotOut]:
        """Replace your weekly availability (local times). Shifts are generated 14 days ahead;
        occurrences clashing with a one-off shift or time off are skipped."""
        slots = [service.WeeklySlot(s.weekday, minutes(s.start), minutes(s.end)) for s in data.templates]
        rows = await service.set_shift_templates(db_session, principal, slots, now=now)
        return [SlotOut(str(t.id), t.weekday, hhmm(t.start_minute), hhmm(t.end_minute)) for t in rows]

    @get("/shift-templates", operation_id="listShiftTemplates")
    async def list_templates(self, db_session: DbSession, principal: CurrentPrincipal) -> list[SlotOut]:
        """Your weekly availability template."""
        rows = await service.list_shift_templates(db_session, principal)
        return [SlotOut(str(t.id), t.weekday, hhmm(t.start_minute), hhmm(t.end_minute)) for t in rows]

    @post("/time-off", operation_id="addTimeOff", responses=problem_responses(422))
    @idempotent
    async def add_time_off(
        self,
        data: Annotated[
            TimeOffIn,
            body(
                {"starts_at": "2026-05-10T00:00:00Z", "ends_at": "2026-05-12T00:00:00Z", "reason": "family"}
            ),
        ],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> TimeOffOut:
        """Block time: no offers land inside it, even over shifts. Retry-safe with `Idempotency-Key`."""
        entry = await service.add_time_off(
            db_session,
            principal,
            starts_at=aware(data.starts_at, "starts_at"),
            ends_at=aware(data.ends_at, "ends_at"),
            reason=data.reason,
        )
        return _time_off_out(entry)

    @get("/time-off", operation_id="listTimeOff")
    async def list_time_off(
        self, db_session: DbSession, principal: CurrentPrincipal, cursor: Cursor = None, limit: Limit = 20
    ) -> TimeOffPage:
        """Your time off, earliest first."""
        page = await service.list_time_off(db_session, principal, cursor=cursor, limit=limit)
        return TimeOffPage(items=[_time_off_out(t) for t in page.items], next_cursor=page.next_cursor)

    @delete("/time-off/{time_off_id:uuid}", operation_id="deleteTimeOff", responses=problem_responses(404))
    async def delete_time_off(
        self, time_off_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> None:
        """Remove time off."""
        await service.delete_time_off(db_session, principal, time_off_id)
