"""A region's active technicians as one dispatch pool, for slot searches and bookings.

The pool has two parts that change at very different rates:

* the **region facts**: who is active, homes, service radii, ratings, skills, verified
  certifications, shifts and time off. They change when someone edits a technician, and
  are kept per process in `_CACHE`, labelled with the region's pool version;
* the **moment**: time reserved by live bookings and the last known positions. They change
  with every booking and location ping, and are read fresh for every pool.

The label is `region_pool_versions.version`, which database triggers (migration 0020_pool_versions)
set in the same transaction as any write to those facts, whatever code or process made
it. A process therefore sees another process's change on its next read of the label (one
primary-key lookup per pool). The label is read *before* the facts it labels: a change
committed between the two reads leaves the cache labelled older than its data, which costs
one extra reload and never serves stale facts. No label (SQLite, which has no triggers; or
a region no trigger has written yet) means no caching: the facts are read every time.

Concurrent misses in one process each load the facts (last one wins); that is wasted work
after a change, never a wrong answer.

The pool covers the whole region; `dispatch.candidates` reaches only the rows that hold the
required skills near the visit through the pool's coverage index, so a pool per skill set
would only repeat work.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.candidates import prefilter
from dispatch.pool import TechnicianPool, build_pool, with_availability
from dispatch.problem import GeoPoint, TimeWindow, Visit
from dispatch.problem import Technician as DTechnician
from marketplace.bookings import repository
from marketplace.bookings.availability import Interval, subtract
from marketplace.db_dialect import supports_row_locks
from marketplace.technicians.facts import load_technician_facts
from marketplace.timeutil import from_epoch, to_epoch

COVER_S = 16 * 86_400  # shifts and time off cached ahead of the first request (listSlots allows 14 days)
SEEN_LIMIT = 8  # technician objects kept per row before starting afresh


@dataclass(frozen=True, slots=True, eq=False)
class RegionFacts:
    """The cached part: a pool without shifts or positions, plus each row's raw windows."""

    version: int | None
    covers: Interval  # shifts and time off overlapping this span are held
    pool: TechnicianPool
    technician_ids: tuple[uuid.UUID, ...]  # row-aligned with `pool`
    shifts: tuple[tuple[Interval, ...], ...]
    time_off: tuple[tuple[Interval, ...], ...]
    # (row, free time, position) -> that technician: most rows look the same request after
    # request (free time is not clipped to `now`), so their objects are made once
    seen: dict[tuple[int, tuple[Interval, ...], GeoPoint | None], DTechnician] = field(default_factory=dict)

    def technician(self, row: int, free: tuple[Interval, ...], where: GeoPoint | None) -> DTechnician:
        key = (row, free, where)
        found = self.seen.get(key)
        if found is None:
            if len(self.seen) > SEEN_LIMIT * max(len(self.technician_ids), 1):
                self.seen.clear()
            found = self.seen[key] = replace(
                self.pool.technicians[row], shifts=tuple(TimeWindow(s, e) for s, e in free), location=where
            )
        return found

    def serves(self, version: int | None, start: int, end: int) -> bool:
        return (
            version is not None
            and version == self.version
            and self.covers[0] <= start
            and end <= self.covers[1]
        )


@dataclass(slots=True)
class CacheStats:
    loads: int = 0  # region fact loads in this process (tests read it to see the cache at work)


_CACHE: dict[tuple[str, str], RegionFacts] = {}
stats = CacheStats()


def _database_key(session: AsyncSession) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


async def region_version(session: AsyncSession, region: str) -> int | None:
    """The region's pool label, or None where labels are not kept (SQLite), not written yet,
    or written by this very transaction (it may still roll back, in part or whole: what it
    sees now is not a state any other reader will ever see under that label)."""
    if not supports_row_locks(session):  # PostgreSQL only: the triggers live there
        return None
    found = await repository.region_pool_label(session, region)
    if found is None or found[1]:
        return None
    return found[0]


async def _load_facts(
    session: AsyncSession, region: str, version: int | None, covers: Interval
) -> RegionFacts:
    stats.loads += 1
    rows = await repository.active_technicians_of_region(session, region)
    ids = [r.id for r in rows]
    facts = await load_technician_facts(session, ids, start=from_epoch(covers[0]), end=from_epoch(covers[1]))
    techs = [
        DTechnician(
            id=str(r.id),
            home=GeoPoint(r.home_lat, r.home_lng),
            skills=tuple(facts.skills[r.id]),
            certifications=tuple(facts.certifications[r.id]),
            service_radius_m=r.service_radius_m,
            rating_sum=float(r.rating_sum),
            rating_count=r.rating_count,
        )
        for r in rows
    ]
    return RegionFacts(
        version=version,
        covers=covers,
        pool=build_pool(techs),
        technician_ids=tuple(ids),
        shifts=tuple(tuple(sorted(facts.shifts[i])) for i in ids),
        time_off=tuple(tuple(facts.time_off[i]) for i in ids),
    )


async def region_facts(session: AsyncSession, region: str, *, start: int, end: int) -> RegionFacts:
    """The region's facts covering [start, end), from this process's cache when still current."""
    version = await region_version(session, region)  # first: see the module docstring
    key = (_database_key(session), region)
    cached = _CACHE.get(key)
    if cached is not None and cached.serves(version, start, end):
        return cached
    facts = await _load_facts(session, region, version, (start, max(end, start + COVER_S)))
    if version is not None:
        _CACHE[key] = facts
    return facts


async def _moment(
    session: AsyncSession, ids: list[uuid.UUID], start: datetime, end: datetime
) -> tuple[dict[uuid.UUID, list[Interval]], dict[uuid.UUID, GeoPoint]]:
    """Time reserved by live bookings in [start, end) and last known positions of `ids`."""
    booked: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    positions: dict[uuid.UUID, GeoPoint] = {}
    for tech_id, lat, lng, busy_from, busy_until in await repository.moment_of(session, ids, start, end):
        if lat is not None and lng is not None:
            positions[tech_id] = GeoPoint(lat, lng)
        if busy_from is not None and busy_until is not None:
            booked[tech_id].append((busy_from, busy_until))
    return booked, positions


def _overlapping(windows: tuple[Interval, ...], start: int, end: int) -> list[Interval]:
    return [w for w in windows if w[1] > start and w[0] < end]


async def region_pool(
    session: AsyncSession, region: str, *, start: datetime, end: datetime, serving: Visit | None = None
) -> TechnicianPool | None:
    """Active technicians of `region` with their free time in [start, end): shifts
    overlapping it, minus time off and the time live bookings reserve ([busy_from,
    busy_until): leaving for the job until it is done). None when nobody is active.

    With `serving`, free time and positions are read and laid only onto the rows that
    could serve that visit (`prefilter`: its skills near its place); every other row has
    no free time. The answer for that visit is the same, and the work per request follows
    the technicians who matter rather than the whole region and all its bookings."""
    start_s, end_s = to_epoch(start), to_epoch(end)
    facts = await region_facts(session, region, start=start_s, end=end_s)
    if not facts.technician_ids:
        return None
    rows = range(len(facts.technician_ids)) if serving is None else prefilter(facts.pool, serving).tolist()
    booked, positions = await _moment(session, [facts.technician_ids[r] for r in rows], start, end)
    techs: dict[int, DTechnician] = {}
    for row in rows:
        tech_id = facts.technician_ids[row]
        blocked = _overlapping(facts.time_off[row], start_s, end_s) + booked.get(tech_id, [])
        free = tuple(subtract(_overlapping(facts.shifts[row], start_s, end_s), blocked))
        techs[row] = facts.technician(row, free, positions.get(tech_id))
    return with_availability(facts.pool, techs)
