from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, time_field


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    DONE = "done"


class Appointment(SQLModel, table=True):
    """An agreed arrival window for a work order. One live appointment per work order."""

    __tablename__ = "appointments"
    __table_args__ = (
        sa.CheckConstraint("window_end > window_start", name="ck_appointments_window"),
        sa.Index(
            "uq_appointments_live_per_order",
            "work_order_id",
            unique=True,
            postgresql_where=sa.text("status = 'booked'"),
            sqlite_where=sa.text("status = 'booked'"),
        ),
        sa.Index("ix_appointments_technician_window", "technician_id", "window_start"),
    )

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    window_start: datetime = time_field(nullable=False)
    window_end: datetime = time_field(nullable=False)
    technician_id: uuid.UUID | None = Field(default=None, foreign_key="technicians.id")
    planned_arrival: datetime | None = time_field()
    eta: datetime | None = time_field()
    status: str = Field(default=AppointmentStatus.BOOKED, max_length=20)
    created_at: datetime = created_at_field()
    cancelled_at: datetime | None = time_field()
    # The technician time this booking reserves: [busy_from, busy_until) = leave for the job
    # .. finish it. On PostgreSQL an EXCLUDE constraint (migration 0002) forbids two live
    # bookings of one technician from overlapping, so capacity races are settled by the DB.
    busy_from: datetime | None = time_field()
    busy_until: datetime | None = time_field()
    cancellation_fee_minor: int | None = None
    replaced_by_id: uuid.UUID | None = Field(default=None, foreign_key="appointments.id")
    # A window Fieldhand held for a customer who did not book in time (bookings/holds.py):
    # it reserves the technician like any live booking and is confirmed automatically at
    # this instant unless the customer books another window first. None: a normal booking.
    hold_confirm_at: datetime | None = time_field(index=True)
