"""Batched location pings from a phone that may have been offline.

* Duplicates (same technician and `recorded_at`, e.g. a retried batch) are ignored by the
  unique constraint, so a retry is harmless.
* Points older than `STALE_AFTER` or more than `MAX_CLOCK_SKEW` in the future are dropped
  (counted in the answer); out-of-order points are stored for the track but only a point
  newer than the current one moves `last_lat/last_lng` (a conditional UPDATE, so two
  concurrent batches cannot move it backwards).
* When the technician is on the way to a visit, the customer's ETA follows the new point.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events
from marketplace.auth import Principal
from marketplace.errors import InvalidInput, NotFound
from marketplace.live import note_change, technician_topic
from marketplace.technicians import repository as repo
from marketplace.technicians.service import get_technician, own_technician_id

STALE_AFTER = timedelta(hours=24)
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class Ping:
    lat: float
    lng: float
    recorded_at: datetime
    accuracy_m: float | None = None


@dataclass(frozen=True, slots=True)
class PingResult:
    accepted: int
    duplicates: int
    stale: int
    latest: Ping | None  # the position now used for ETAs and matching
    moved: bool  # whether this batch moved the latest position


async def record_pings(
    session: AsyncSession, principal: Principal, pings: Sequence[Ping], *, now: datetime
) -> PingResult:
    technician_id = own_technician_id(principal)
    if await repo.cached_technician(session, technician_id) is None:
        raise NotFound("No technician profile for this login")
    if len(pings) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} pings per batch", field="pings")
    await get_technician(session, technician_id)  # a token without a technician row: 404
    fresh: dict[datetime, Ping] = {}
    stale = 0
    for p in pings:
        if p.recorded_at < now - STALE_AFTER or p.recorded_at > now + MAX_CLOCK_SKEW:
            stale += 1
        else:
            fresh.setdefault(p.recorded_at, p)  # same instant twice in one batch: keep the first
    inserted = await _insert_new(session, technician_id, list(fresh.values()), now)
    moved = False
    if fresh:
        newest = fresh[max(fresh)]
        moved = await repo.move_last_location(
            session, technician_id, lat=newest.lat, lng=newest.lng, recorded_at=newest.recorded_at
        )
    tech = await repo.cached_technician(session, technician_id, refresh=True)
    if tech is None:
        raise NotFound("No technician profile for this login")
    latest = None
    if tech.last_located_at is not None and tech.last_lat is not None and tech.last_lng is not None:
        latest = Ping(lat=tech.last_lat, lng=tech.last_lng, recorded_at=tech.last_located_at)
    if moved:
        note_change(session, technician_topic(technician_id))  # a bulk update: no flush saw it
        await events.publish(session, events.TechnicianMoved(tech, now))
    return PingResult(
        accepted=inserted, duplicates=len(pings) - stale - inserted, stale=stale, latest=latest, moved=moved
    )


async def _insert_new(
    session: AsyncSession, technician_id: uuid.UUID, pings: list[Ping], now: datetime
) -> int:
    if not pings:
        return 0
    rows = [
        {
            "id": uuid.uuid4(),
            "technician_id": technician_id,
            "lat": p.lat,
            "lng": p.lng,
            "accuracy_m": p.accuracy_m,
            "recorded_at": p.recorded_at,
            "received_at": now,
        }
        for p in pings
    ]
    return await repo.insert_new_pings(session, rows)
