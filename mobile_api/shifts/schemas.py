from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class WindowIn(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime
    ends_at: datetime


class SetShiftsIn(msgspec.Struct, forbid_unknown_fields=True, rename={"range_from": "from"}):
    range_from: datetime
    until: datetime
    windows: Annotated[list[WindowIn], msgspec.Meta(max_length=200)]


class ShiftOut(msgspec.Struct):
    id: str
    starts_at: datetime
    ends_at: datetime
    from_template: bool


class ShiftPage(msgspec.Struct):
    items: list[ShiftOut]
    next_cursor: str | None


class SlotIn(msgspec.Struct, forbid_unknown_fields=True):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday, in your time zone")]
    start: Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM local")]
    end: Annotated[str, msgspec.Meta(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", description="HH:MM local")]


class SetTemplatesIn(msgspec.Struct, forbid_unknown_fields=True):
    templates: Annotated[list[SlotIn], msgspec.Meta(max_length=100)]


class SlotOut(msgspec.Struct):
    id: str
    weekday: int
    start: str
    end: str


class TimeOffIn(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime
    ends_at: datetime
    reason: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=500)] | None = None


class TimeOffOut(msgspec.Struct):
    id: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None


class TimeOffPage(msgspec.Struct):
    items: list[TimeOffOut]
    next_cursor: str | None


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"
