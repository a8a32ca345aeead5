"""Batched location pings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, post

from marketplace.auth import requires
from marketplace.technicians import location as service
from marketplace.users.models import Role
from mobile_api.common import Lat, Lng, aware, body, problem_responses
from mobile_api.deps import CurrentPrincipal, DbSession, Now


class PingIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Lat
    lng: Lng
    recorded_at: datetime
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None


class PingsIn(msgspec.Struct, forbid_unknown_fields=True):
    pings: Annotated[list[PingIn], msgspec.Meta(min_length=1, max_length=500)]


class LatestOut(msgspec.Struct):
    lat: float
    lng: float
    recorded_at: datetime


class PingsOut(msgspec.Struct):
    accepted: int
    duplicates: int
    stale: int
    latest: LatestOut | None


EXAMPLE = {
    "pings": [
        {"lat": 52.3702, "lng": 4.8952, "recorded_at": "2026-05-04T09:58:00Z", "accuracy_m": 12},
        {"lat": 52.3711, "lng": 4.8969, "recorded_at": "2026-05-04T09:59:00Z", "accuracy_m": 9},
    ]
}


class LocationController(Controller):
    path = "/locations"
    tags = ["mobile: location"]
    guards = [requires(Role.TECHNICIAN)]

    @post("", operation_id="postLocations", status_code=200, responses=problem_responses(422))
    async def post_locations(
        self,
        now: Now,
        data: Annotated[PingsIn, body(EXAMPLE)],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> PingsOut:
        """Send up to 500 points at once (e.g. after being offline), in any order.

        A resent point (same `recorded_at`) counts as a duplicate and changes nothing;
        points older than 24 h or more than 5 min in the future count as `stale` and are
        dropped. The newest point becomes your position for ETAs and matching, and moves
        the customer's ETA when you are on the way to a visit.
        """
        pings = [
            service.Ping(p.lat, p.lng, aware(p.recorded_at, f"pings[{i}].recorded_at"), p.accuracy_m)
            for i, p in enumerate(data.pings)
        ]
        result = await service.record_pings(db_session, principal, pings, now=now)
        latest = result.latest
        return PingsOut(
            accepted=result.accepted,
            duplicates=result.duplicates,
            stale=result.stale,
            latest=LatestOut(latest.lat, latest.lng, latest.recorded_at) if latest else None,
        )
