"""Pure time arithmetic for booking: free time and arrival-window grids.

Everything is integer Unix seconds (UTC) except where a time zone is named: windows are
laid on the *customer's* local clock (08:00-10:00 means 08:00 where the visit is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # half-open [start, end)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union (touching intervals are joined)."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(available: Iterable[Interval], blocked: Iterable[Interval]) -> list[Interval]:
    """`available` minus `blocked`, as sorted non-overlapping intervals."""
    free = merge(available)
    for b_start, b_end in merge(blocked):
        nxt: list[Interval] = []
        for start, end in free:
            if b_end <= start or b_start >= end:
                nxt.append((start, end))
                continue
            if start < b_start:
                nxt.append((start, b_start))
            if b_end < end:
                nxt.append((b_end, end))
        free = nxt
    return free


def window_grid(
    now: datetime, *, days: int, window_s: int, tz: str, earliest_lead_s: int = 1800
) -> list[Interval]:
    """Arrival windows of `window_s` laid from local midnight in `tz`, for `days` days.

    A window is listed while at least `earliest_lead_s` of it is still ahead of `now`
    (someone can still arrive in it); feasibility decides whether anyone actually can.
    DST is respected: windows are built on the local wall clock, then converted.
    """
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    now_s = int(now.timestamp())
    out: list[Interval] = []
    per_day = max(86_400 // window_s, 1)
    for d in range(days + 1):
        midnight = (day + timedelta(days=d)).replace(tzinfo=None)
        for k in range(per_day):
            start_local = (midnight + timedelta(seconds=k * window_s)).replace(tzinfo=zone)
            end_local = (midnight + timedelta(seconds=(k + 1) * window_s)).replace(tzinfo=zone)
            start, end = int(start_local.timestamp()), int(end_local.timestamp())
            if end - now_s < earliest_lead_s or end <= start:
                continue
            if start - now_s > days * 86_400:
                return out
            out.append((start, end))
    return out


def overlaps(a: Interval, others: Sequence[Interval]) -> bool:
    return any(a[0] < o[1] and o[0] < a[1] for o in others)
