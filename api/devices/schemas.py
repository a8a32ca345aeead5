"""Wire types for devices, device rules and telemetry (never table models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from marketplace.devices.intake import MAX_READINGS, IntakeResult, ReadingIn
from marketplace.devices.models import Device, DeviceRule
from marketplace.devices.service import NewDevice, RuleSpec

Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lng = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
DeviceKindName = Literal["boiler", "heat_pump", "router", "washer"]


class DeviceIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: DeviceKindName
    model: Code
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    lat: Lat
    lng: Lng
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    installed_on: date | None = None

    def to_domain(self) -> NewDevice:
        return NewDevice(
            kind=self.kind,
            model=self.model,
            category=self.category,
            name=self.name,
            lat=self.lat,
            lng=self.lng,
            address=self.address,
            installed_on=self.installed_on,
        )


class DeviceOut(msgspec.Struct):
    id: str
    customer_id: str
    kind: str
    model: str
    category: str
    name: str
    lat: float
    lng: float
    address: str | None
    installed_on: date | None
    last_reading_at: datetime | None
    credential_rotated_at: datetime | None
    created_at: datetime


class DeviceWithCredential(msgspec.Struct):
    device: DeviceOut
    credential: str = msgspec.field(name="credential")
    usage: str = "Send telemetry with the header  Authorization: Device <credential>  (shown once)"


class CredentialOut(msgspec.Struct):
    device_id: str
    credential: str
    rotated_at: datetime | None


def device_out(d: Device) -> DeviceOut:
    return DeviceOut(
        id=str(d.id),
        customer_id=str(d.customer_id),
        kind=d.kind,
        model=d.model,
        category=d.category_code,
        name=d.name,
        lat=d.lat,
        lng=d.lng,
        address=d.address,
        installed_on=d.installed_on,
        last_reading_at=d.last_reading_at,
        credential_rotated_at=d.credential_rotated_at,
        created_at=d.created_at,
    )


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    comparison: Literal["below", "above"] | None = None
    threshold: float | None = None
    duration_s: Annotated[int, msgspec.Meta(ge=0, le=30 * 86400)] = 0
    window_s: Annotated[int, msgspec.Meta(gt=0, le=30 * 86400)] | None = None
    lead_s: Annotated[int, msgspec.Meta(gt=0, le=90 * 86400)] | None = None
    min_points: Annotated[int, msgspec.Meta(ge=3, le=100_000)] = 10
    enabled: bool = True

    def to_domain(self) -> RuleSpec:
        return RuleSpec(
            comparison=self.comparison,
            threshold=self.threshold,
            duration_s=self.duration_s,
            window_s=self.window_s,
            lead_s=self.lead_s,
            min_points=self.min_points,
            enabled=self.enabled,
        )


class RuleOut(msgspec.Struct):
    model: str
    metric: str
    kind: str
    comparison: str | None
    threshold: float | None
    duration_s: int
    window_s: int | None
    lead_s: int | None
    min_points: int
    enabled: bool
    updated_at: datetime


def rule_out(r: DeviceRule) -> RuleOut:
    return RuleOut(
        model=r.model,
        metric=r.metric,
        kind=r.kind,
        comparison=r.comparison,
        threshold=r.threshold,
        duration_s=r.duration_s,
        window_s=r.window_s,
        lead_s=r.lead_s,
        min_points=r.min_points,
        enabled=r.enabled,
        updated_at=r.updated_at,
    )


class TelemetryReading(msgspec.Struct, forbid_unknown_fields=True):
    metric: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    value: float
    at: datetime
    unit: Annotated[str, msgspec.Meta(max_length=16)] | None = None


class TelemetryBatch(msgspec.Struct, forbid_unknown_fields=True):
    readings: list[TelemetryReading]

    def to_domain(self) -> list[ReadingIn]:
        return [ReadingIn(metric=r.metric, value=r.value, at=r.at, unit=r.unit) for r in self.readings]


class TelemetryAccepted(msgspec.Struct):
    received: int
    stored: int
    duplicates: int
    evaluation_queued: bool


def accepted_out(result: IntakeResult) -> TelemetryAccepted:
    return TelemetryAccepted(
        received=result.received,
        stored=result.stored,
        duplicates=result.duplicates,
        evaluation_queued=result.evaluation_queued,
    )


__all__ = ["MAX_READINGS"]
