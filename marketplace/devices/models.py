"""Devices, their rules, and their readings (raw and hourly roll-ups).

Readings layout (measured with `python -m bench.devices layout`, see bench/BENCHMARKS.md):
one plain table whose primary key `(device_id, metric_id, at)` is both the duplicate guard
(`INSERT … ON CONFLICT DO NOTHING`) and the index for per-device range reads, plus a BRIN
index on `at` for the time-range scans of roll-up and retention. Rows arrive roughly in
time order, so the BRIN index stays a few pages and costs almost nothing per insert.
Declarative partitioning by day was measured too: it gives the same per-device reads and
cheap `DROP`-a-day retention, but PostgreSQL must route every row, the primary key must
carry the partition key anyway, a partition must exist before its first late or future
reading arrives (a job to create them), and SQLite (`make run`) has no equivalent. With
roll-up deleting in hour-sized chunks, BRIN gives the same behaviour with one table.
Readings carry no foreign key to `devices`: intake has already authenticated the device,
and a per-row key check would be the most expensive part of the insert.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import UTCDateTime, created_at_field, id_field, time_field


class DeviceKind(StrEnum):
    BOILER = "boiler"
    HEAT_PUMP = "heat_pump"
    ROUTER = "router"
    WASHER = "washer"


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class Device(SQLModel, table=True):
    """A customer's connected appliance. Its credential is `<id>.<secret>`; only the
    SHA-256 of the secret is stored, and removing the device clears it."""

    __tablename__ = "devices"
    __table_args__ = (sa.Index("ix_devices_status_received", "status", "readings_received_at"),)

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    kind: str = Field(max_length=32)
    model: str = Field(max_length=100, index=True)
    category_code: str = Field(foreign_key="service_categories.code", max_length=64)
    name: str = Field(max_length=200)
    lat: float
    lng: float
    address: str | None = Field(default=None, max_length=500)
    installed_on: date | None = None
    status: str = Field(default=DeviceStatus.ACTIVE, max_length=16)
    credential_hash: str | None = Field(default=None, max_length=64)
    credential_rotated_at: datetime | None = time_field()
    last_reading_at: datetime | None = time_field()  # newest reading time seen
    readings_received_at: datetime | None = time_field()  # when readings last arrived
    evaluated_at: datetime | None = time_field()  # when the rules last looked at it
    silent_since_alerted: datetime | None = time_field()  # the quiet spell last alerted (its start)
    removed_at: datetime | None = time_field()
    created_at: datetime = created_at_field()


class DeviceRule(SQLModel, table=True):
    """One rule per (device model, metric, kind); silence rules use metric `*`."""

    __tablename__ = "device_rules"
    __table_args__ = (
        sa.UniqueConstraint("model", "metric", "kind", name="uq_device_rules_model_metric_kind"),
    )

    id: uuid.UUID = id_field()
    model: str = Field(max_length=100, index=True)
    metric: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    comparison: str | None = Field(default=None, max_length=8)
    threshold: float | None = None
    duration_s: int = Field(default=0)  # threshold: held for; silence: quiet for
    window_s: int | None = None  # trend: fit window
    lead_s: int | None = None  # trend: how far ahead a predicted crossing counts
    min_points: int = Field(default=10)
    enabled: bool = Field(default=True)
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = created_at_field()


class Reading(SQLModel, table=True):
    __tablename__ = "device_readings"
    __table_args__ = (sa.Index("ix_device_readings_at_brin", "at", postgresql_using="brin"),)

    device_id: uuid.UUID = Field(primary_key=True)
    metric_id: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    at: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    value: float = Field(sa_type=sa.Float(precision=53))


class HourlyReading(SQLModel, table=True):
    """Roll-up of raw readings older than the retention: count, sum, min and max per hour
    (sum rather than mean so that late readings merge in exactly)."""

    __tablename__ = "device_readings_hourly"

    device_id: uuid.UUID = Field(primary_key=True)
    metric_id: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    count: int
    total: float = Field(sa_type=sa.Float(precision=53))
    minimum: float = Field(sa_type=sa.Float(precision=53))
    maximum: float = Field(sa_type=sa.Float(precision=53))
