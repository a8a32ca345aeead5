from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from marketplace.technicians.models import Certification
from marketplace.technicians.service import Profile, certification_state
from mobile_api.common import Lat, Lng, MinorUnits, Money, SkillCode, SkillLevel, money

Radius = Annotated[int, msgspec.Meta(ge=500, le=150_000, description="Service radius around home, metres")]
Text200 = Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", min_length=1, max_length=200)]


class SkillIn(msgspec.Struct, forbid_unknown_fields=True):
    code: SkillCode
    level: SkillLevel


class GeoIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Lat
    lng: Lng


class SignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$", max_length=320)]
    password: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", min_length=10, max_length=200)]
    display_name: Text200
    home: GeoIn
    skills: Annotated[list[SkillIn], msgspec.Meta(max_length=50)] = []
    phone: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=40)] | None = None
    timezone: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=64)] = "UTC"
    service_radius_m: Radius = 25_000
    vehicle_notes: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=2000)] | None = None
    hourly_rate_minor: MinorUnits | None = None
    price_floor_minor: MinorUnits | None = None
    currency: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{3}$")] = "eur"


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Text200 | None = None
    phone: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=40)] | None = None
    timezone: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=64)] | None = None
    home: GeoIn | None = None
    service_radius_m: Radius | None = None
    vehicle_notes: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=2000)] | None = None
    hourly_rate_minor: MinorUnits | None = None
    price_floor_minor: MinorUnits | None = None
    skills: Annotated[list[SkillIn], msgspec.Meta(max_length=50)] | None = None


class CertificationIn(msgspec.Struct, forbid_unknown_fields=True):
    code: SkillCode
    number: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", min_length=1, max_length=128)]
    issuer: Text200
    expires_at: datetime | None = None


class SkillOut(msgspec.Struct):
    code: str
    level: int


class CertificationOut(msgspec.Struct):
    id: str
    code: str
    number: str
    issuer: str
    expires_at: datetime | None
    status: str  # pending | verified | rejected | expired
    counts_for_dispatch: bool


class GeoOut(msgspec.Struct):
    lat: float
    lng: float


class ProfileOut(msgspec.Struct):
    id: str
    email: str
    display_name: str
    phone: str | None
    status: str
    timezone: str
    home: GeoOut
    service_radius_m: int
    vehicle_notes: str | None
    hourly_rate: Money | None
    price_floor: Money | None
    skills: list[SkillOut]
    certifications: list[CertificationOut]
    last_location: GeoOut | None
    last_located_at: datetime | None
    rating_average: float | None
    rating_count: int
    payouts_enabled: bool


class SignUpOut(msgspec.Struct):
    technician: ProfileOut
    access_token: str
    token_type: str = "bearer"


def cert_out(c: Certification, now: datetime) -> CertificationOut:
    state = certification_state(c, now)
    return CertificationOut(
        id=str(c.id),
        code=c.code,
        number=c.number,
        issuer=c.issuer,
        expires_at=c.expires_at,
        status=state,
        counts_for_dispatch=state == "verified",
    )


def profile_out(p: Profile, now: datetime) -> ProfileOut:
    t = p.technician
    located = t.last_lat is not None and t.last_lng is not None
    return ProfileOut(
        id=str(t.id),
        email=p.email,
        display_name=t.display_name,
        phone=t.phone,
        status=t.status,
        timezone=t.timezone,
        home=GeoOut(t.home_lat, t.home_lng),
        service_radius_m=t.service_radius_m,
        vehicle_notes=t.vehicle_notes,
        hourly_rate=money(t.hourly_rate_minor, t.currency),
        price_floor=money(t.price_floor_minor, t.currency),
        skills=[SkillOut(s.skill_code, s.level) for s in p.skills],
        certifications=[cert_out(c, now) for c in p.certifications],
        last_location=GeoOut(t.last_lat, t.last_lng) if located else None,  # type: ignore[arg-type]
        last_located_at=t.last_located_at,
        rating_average=round(t.rating_sum / t.rating_count, 2) if t.rating_count else None,
        rating_count=t.rating_count,
        payouts_enabled=t.payouts_enabled,
    )
