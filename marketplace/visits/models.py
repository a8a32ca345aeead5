"""What the technician reported at each step of a visit (en route, on site, done/failed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field, time_field


class VisitStepKind(StrEnum):
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    FAILED = "failed"


class VisitStep(SQLModel, table=True):
    """One step of one assignment, recorded once: a retried request finds it and replays it.

    `assignment_key` is the accepted offer id (or `order:<work order id>` for a direct
    assignment), so a re-dispatched work order gets a fresh set of steps.
    """

    __tablename__ = "visit_steps"
    __table_args__ = (
        sa.UniqueConstraint("assignment_key", "step", name="uq_visit_steps_assignment_step"),
        sa.Index("ix_visit_steps_order_at", "work_order_id", "at"),
    )

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    assignment_key: str = Field(max_length=80)
    step: str = Field(max_length=20)
    at: datetime = created_at_field()
    notes: str | None = Field(default=None, max_length=4000)
    time_spent_s: int | None = None
    parts_used: list[dict[str, Any]] = json_field(list)
    customer_signoff_name: str | None = Field(default=None, max_length=200)
    eta: datetime | None = time_field()
    lat: float | None = None
    lng: float | None = None
