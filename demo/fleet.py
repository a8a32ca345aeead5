"""Demonstration devices: boilers whose pressure holds steady or drifts toward failure.

`make run` gives the demo customer a boiler whose last six hours of pressure fall toward
the model's threshold (stored through the intake verb), so the periodic device sweep fits
the trend and opens a proactive `device_alert` visit within a minute of start.
`python -m demo simulate` registers a small fleet and posts each device's readings over HTTP
every tick, like real devices would (`demo.simulation`).

A device's pressure is a straight line with small deterministic noise: `base` at `origin`,
changing by `drift_per_h` bar an hour (0 for a healthy boiler).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.devices import intake
from marketplace.devices.intake import ReadingIn
from marketplace.devices.models import Device, DeviceRule
from marketplace.devices.repository import rule
from marketplace.devices.rules import Comparison, RuleKind
from marketplace.devices.service import NewDevice, add_device

MODEL = "fieldhand-demo-boiler"
CATEGORY = "boiler_service"
FAILS_BELOW_BAR = 1.0
HEALTHY_BAR = 1.5
READING_EVERY = timedelta(minutes=5)
HISTORY = timedelta(hours=6)

# (metric, kind, comparison, threshold, duration_s, window_s, lead_s, min_points)
RULES = (
    ("pressure", RuleKind.THRESHOLD, Comparison.BELOW, FAILS_BELOW_BAR, 600, None, None, 10),
    ("pressure", RuleKind.TREND, Comparison.BELOW, FAILS_BELOW_BAR, 0, 6 * 3600, 3 * 86_400, 12),
)


@dataclass(frozen=True, slots=True)
class Boiler:
    """A simulated boiler: where its pressure line starts and how fast it falls."""

    device_id: uuid.UUID
    credential: str
    origin: datetime
    base: float
    drift_per_h: float

    def pressure(self, at: datetime) -> float:
        hours = (at - self.origin).total_seconds() / 3600
        wobble = random.Random(f"{self.device_id}:{int(at.timestamp())}").uniform(-0.01, 0.01)
        return round(max(self.base + self.drift_per_h * hours + wobble, 0.0), 3)

    def readings(self, since: datetime, until: datetime) -> list[ReadingIn]:
        """Readings every `READING_EVERY` after `since` up to `until`, the last at `until`."""
        times: list[datetime] = []
        at = until
        while at > since and len(times) < intake.MAX_READINGS:
            times.append(at)
            at -= READING_EVERY
        return [ReadingIn("pressure", self.pressure(t), t, "bar") for t in reversed(times)]


def repaired_boiler(boiler: Boiler, now: datetime) -> Boiler:
    """The same boiler after a technician fixed it: healthy pressure, no drift."""
    return Boiler(boiler.device_id, boiler.credential, now, HEALTHY_BAR, 0.0)


async def ensure_fleet_rules(session: AsyncSession, *, now: datetime) -> None:
    """The demo boiler model's rules (admins can edit them afterwards)."""
    for metric, kind, comparison, threshold, duration_s, window_s, lead_s, min_points in RULES:
        if await rule(session, MODEL, metric, kind) is not None:
            continue
        session.add(
            DeviceRule(
                model=MODEL,
                metric=metric,
                kind=kind.value,
                comparison=comparison.value,
                threshold=threshold,
                duration_s=duration_s,
                window_s=window_s,
                lead_s=lead_s,
                min_points=min_points,
                updated_at=now,
            )
        )
    await session.flush()


async def add_boiler(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    name: str,
    lat: float,
    lng: float,
    drift_per_h: float,
    now: datetime,
    address: str | None = None,
) -> tuple[Device, Boiler]:
    """Register a demo boiler for `customer_id`; its pressure line starts at a healthy level
    `HISTORY` ago."""
    device, credential = await add_device(
        session,
        customer_id,
        NewDevice(
            kind="boiler",
            model=MODEL,
            category=CATEGORY,
            name=name,
            lat=lat,
            lng=lng,
            address=address,
            installed_on=date(2019, 10, 1),
        ),
        now=now,
    )
    return device, Boiler(device.id, credential, now - HISTORY, HEALTHY_BAR, drift_per_h)


async def seed_demo_boiler(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    lat: float,
    lng: float,
    address: str | None,
    now: datetime,
) -> Device:
    """The demo customer's boiler, losing 0.04 bar an hour for the last six hours (1.5 bar
    then, about 1.26 now): the trend crosses 1.0 bar in roughly 6.5 hours."""
    await ensure_fleet_rules(session, now=now)
    device, boiler = await add_boiler(
        session,
        customer_id,
        name="Kitchen boiler",
        lat=lat,
        lng=lng,
        address=address,
        drift_per_h=-0.04,
        now=now,
    )
    await intake.ingest(session, device, boiler.readings(now - HISTORY, now), now=now)
    return device
