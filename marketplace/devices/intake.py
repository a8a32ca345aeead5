"""Telemetry intake: validate a device's batch as a whole, then store it once.

A batch is all or nothing: the first bad reading rejects it with a problem that names the
reading, and nothing is stored. Duplicates (same device, metric and time) and readings
that arrive late or out of order are stored once: the primary key decides, with
`INSERT … ON CONFLICT DO NOTHING`, so a device may safely resend a batch.

When a reading is already beyond a threshold rule, the device's evaluation is queued at
once (one task per device per minute) so a crossing becomes a visit within seconds; the
periodic sweep evaluates everything else, trends included.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.devices import repository as repo
from marketplace.devices.errors import (
    DeviceCredentialInvalid,
    NonFiniteReading,
    ReadingInFuture,
    TooManyReadings,
    UnitMismatch,
    UnknownMetric,
)
from marketplace.devices.metrics import METRICS
from marketplace.devices.models import Device
from marketplace.devices.rules import Comparison, beyond
from marketplace.devices.service import authenticate_device, credential_digest

MAX_READINGS = 1000
MAX_CLOCK_SKEW = timedelta(minutes=5)
EVALUATE_TASK = "devices.evaluate"


@dataclass(frozen=True, slots=True)
class ReadingIn:
    metric: str
    value: float
    at: datetime
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class IntakeResult:
    received: int
    stored: int
    evaluation_queued: bool

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def validate(readings: list[ReadingIn], *, now: datetime) -> None:
    """Raise the problem for the first reading that cannot be stored."""
    if len(readings) > MAX_READINGS:
        raise TooManyReadings(
            f"At most {MAX_READINGS} readings per batch; got {len(readings)}",
            limit=MAX_READINGS,
            received=len(readings),
        )
    latest = now + MAX_CLOCK_SKEW
    for index, r in enumerate(readings):
        metric = METRICS.get(r.metric)
        if metric is None:
            raise UnknownMetric(
                f"Reading {index}: unknown metric {r.metric!r}", index=index, known=sorted(METRICS)
            )
        if r.unit is not None and r.unit != metric.unit:
            raise UnitMismatch(
                f"Reading {index}: {r.metric} is measured in {metric.unit}, not {r.unit}",
                index=index,
                metric=r.metric,
                unit=r.unit,
                expected_unit=metric.unit,
            )
        if not math.isfinite(r.value):
            raise NonFiniteReading(f"Reading {index}: value is {r.value}", index=index)
        if r.at.tzinfo is None:
            raise ReadingInFuture(f"Reading {index}: give the time zone (UTC offset)", index=index)
        if r.at > latest:
            raise ReadingInFuture(
                f"Reading {index}: {r.at.isoformat()} is more than "
                f"{int(MAX_CLOCK_SKEW.total_seconds())} s ahead of the server clock",
                index=index,
                at=r.at.isoformat(),
                latest_accepted=latest.isoformat(),
            )


def crosses_a_threshold(readings: list[ReadingIn], thresholds: list[tuple[str, str, float]]) -> bool:
    return any(
        reading.metric == metric and beyond(reading.value, Comparison(comparison), threshold)
        for reading in readings
        for metric, comparison, threshold in thresholds
    )


def _rows(readings: list[ReadingIn]) -> list[tuple[int, datetime, float]]:
    unique = {(METRICS[r.metric].id, r.at): r.value for r in readings}  # a batch may repeat itself
    return [(metric_id, at, value) for (metric_id, at), value in unique.items()]


async def receive(
    session: AsyncSession, credential: str, readings: list[ReadingIn], *, now: datetime
) -> IntakeResult:
    """Authenticate the device by its credential and store its validated batch.

    On PostgreSQL this is one statement (`repository.receive_readings`): no ORM load of the
    device, and the threshold rules come back with it, so they are never stale. Elsewhere
    (SQLite for `make run`) the device is loaded and the steps run one by one."""
    validate(readings, now=now)
    if not repo.on_postgresql(session):
        return await ingest(session, await authenticate_device(session, credential), readings, now=now)
    device_id, digest = credential_digest(credential)
    newest = max((r.at for r in readings), default=None)
    got = await repo.receive_readings(session, device_id, digest, _rows(readings), newest=newest, now=now)
    if got is None:
        raise DeviceCredentialInvalid("The device credential is not valid")
    queued = bool(got.stored) and crosses_a_threshold(readings, got.thresholds)
    if queued:
        await _queue_evaluation(session, device_id, now=now)
    return IntakeResult(received=len(readings), stored=got.stored, evaluation_queued=queued)


async def ingest(
    session: AsyncSession, device: Device, readings: list[ReadingIn], *, now: datetime
) -> IntakeResult:
    """Store a validated batch for an authenticated device, statement by statement."""
    validate(readings, now=now)
    stored = await repo.insert_readings(session, device.id, _rows(readings))
    queued = False
    if readings:
        await repo.mark_received(session, device.id, newest=max(r.at for r in readings), now=now)
        if stored and crosses_a_threshold(readings, await repo.threshold_rules(session, device.model)):
            await _queue_evaluation(session, device.id, now=now)
            queued = True
    return IntakeResult(received=len(readings), stored=stored, evaluation_queued=queued)


async def _queue_evaluation(session: AsyncSession, device_id: uuid.UUID, *, now: datetime) -> None:
    """At most one evaluation task per device per minute."""
    minute = now.replace(second=0, microsecond=0)
    await outbox.enqueue(
        session,
        EVALUATE_TASK,
        {"device_id": str(device_id)},
        dedupe_key=f"device-evaluate:{device_id}:{minute.isoformat()}",
        now=now,
    )
