from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, time_field


class TechnicianStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class CertificationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Technician(SQLModel, table=True):
    __tablename__ = "technicians"

    id: uuid.UUID = id_field()
    display_name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    status: str = Field(default=TechnicianStatus.PENDING_VERIFICATION, max_length=32, index=True)
    region: str = Field(default="default", max_length=64, index=True)
    timezone: str = Field(default="UTC", max_length=64)
    home_lat: float
    home_lng: float
    service_radius_m: int = Field(default=25_000)
    vehicle_notes: str | None = Field(default=None, max_length=2000)
    hourly_rate_minor: int | None = None
    price_floor_minor: int | None = None
    currency: str = Field(default="eur", max_length=3)
    last_lat: float | None = None
    last_lng: float | None = None
    last_located_at: datetime | None = time_field()
    rating_sum: int = Field(default=0)  # sum of stars over reviews
    rating_count: int = Field(default=0)
    auto_accept: bool = Field(default=False)
    stripe_account_id: str | None = Field(default=None, max_length=64, unique=True)
    payouts_enabled: bool = Field(default=False)
    created_at: datetime = created_at_field()


class TechnicianSkill(SQLModel, table=True):
    __tablename__ = "technician_skills"
    __table_args__ = (
        sa.UniqueConstraint("technician_id", "skill_code", name="uq_technician_skills"),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="ck_technician_skills_level"),
    )

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    skill_code: str = Field(foreign_key="skills.code", max_length=64)
    level: int


class Certification(SQLModel, table=True):
    __tablename__ = "certifications"

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    code: str = Field(max_length=64)
    number: str = Field(max_length=128)
    issuer: str = Field(max_length=200)
    expires_at: datetime | None = time_field()
    status: str = Field(default=CertificationStatus.PENDING, max_length=20)
    verified_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    verified_at: datetime | None = time_field()
    created_at: datetime = created_at_field()


class Shift(SQLModel, table=True):
    """One availability window. Many short ones per day are normal for freelancers."""

    __tablename__ = "shifts"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ck_shifts_not_inverted"),
        sa.Index("ix_shifts_technician_start", "technician_id", "starts_at"),
    )

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id")
    starts_at: datetime = time_field(nullable=False)
    ends_at: datetime = time_field(nullable=False)
    template_id: uuid.UUID | None = Field(default=None, foreign_key="shift_templates.id")
    created_at: datetime = created_at_field()


class ShiftTemplate(SQLModel, table=True):
    """Weekly recurring availability, expanded into shifts ahead of time."""

    __tablename__ = "shift_templates"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_shift_templates_weekday"),
        sa.CheckConstraint("end_minute > start_minute", name="ck_shift_templates_not_inverted"),
    )

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    weekday: int  # 0 = Monday, in the technician's time zone
    start_minute: int  # minutes after local midnight
    end_minute: int
    created_at: datetime = created_at_field()


class TimeOff(SQLModel, table=True):
    __tablename__ = "time_off"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ck_time_off_not_inverted"),)

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    starts_at: datetime = time_field(nullable=False)
    ends_at: datetime = time_field(nullable=False)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()


class LocationPing(SQLModel, table=True):
    __tablename__ = "location_pings"
    __table_args__ = (sa.UniqueConstraint("technician_id", "recorded_at", name="uq_location_pings_moment"),)

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    lat: float
    lng: float
    accuracy_m: float | None = None
    recorded_at: datetime = time_field(nullable=False)
    received_at: datetime = created_at_field()


class RegionPoolVersion(SQLModel, table=True):
    """A label for the current state of a region's technician pool facts.

    Written only by database triggers (PostgreSQL, migration 0020_pool_versions): any insert, update or
    delete of a technician's dispatch-relevant columns, skills, certifications, shifts or
    time off sets it to the writing transaction's id, in that same transaction. Readers
    compare it with the label of what they cached (`marketplace.bookings.region_pool`).
    """

    __tablename__ = "region_pool_versions"

    region: str = Field(primary_key=True, max_length=64)
    version: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
