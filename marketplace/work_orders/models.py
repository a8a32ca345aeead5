from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field, time_field


class WorkOrderSource(StrEnum):
    ESCALATION = "escalation"
    BOOKING = "booking"
    DEVICE_ALERT = "device_alert"
    API = "api"


class WorkOrderStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    SCHEDULED = "scheduled"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    NEEDS_CALLBACK = "needs_callback"


DEFAULT_CURRENCY = "eur"


class WorkOrder(SQLModel, table=True):
    __tablename__ = "work_orders"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_ref", name="uq_work_orders_source_ref"),
        sa.Index("ix_work_orders_status_created", "status", "created_at"),
    )

    id: uuid.UUID = id_field()
    source: str = Field(max_length=32)
    external_ref: str | None = Field(default=None, max_length=200)  # "<helpdesk>:<ticket id>"
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    region: str = Field(default="default", max_length=64, index=True)
    lat: float
    lng: float
    address: str | None = Field(default=None, max_length=500)
    category_code: str | None = Field(default=None, foreign_key="service_categories.code", max_length=64)
    summary: str = Field(max_length=2000)
    context: dict[str, Any] = json_field(dict)
    required_skills: list[dict[str, Any]] = json_field(list)
    required_certifications: list[str] = json_field(list)
    duration_s: int = Field(default=3600)
    priority: int = Field(default=3)  # 1 emergency .. 4 low
    sla_due_at: datetime | None = time_field(index=True)
    response_due_at: datetime | None = time_field()  # a technician on site by then (tier policy)
    status: str = Field(default=WorkOrderStatus.NEW, max_length=32)
    technician_id: uuid.UUID | None = Field(default=None, foreign_key="technicians.id", index=True)
    # The quote from marketplace.pricing: every order is priced when it is created.
    price_minor: int
    fee_minor: int
    currency: str = Field(default=DEFAULT_CURRENCY, max_length=3)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WorkOrderEvent(SQLModel, table=True):
    """Audit trail: every state transition and notable change of a work order."""

    __tablename__ = "work_order_events"
    __table_args__ = (sa.Index("ix_work_order_events_order_at", "work_order_id", "at"),)

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    at: datetime = created_at_field()
    kind: str = Field(default="transition", max_length=32)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    actor_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    actor_role: str = Field(default="system", max_length=20)
    reason: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = json_field(dict)
