from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field, time_field


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Offer(SQLModel, table=True):
    __tablename__ = "offers"
    __table_args__ = (
        # The database, not the code, guarantees one winner per work order.
        sa.Index(
            "uq_offers_one_accepted_per_order",
            "work_order_id",
            unique=True,
            postgresql_where=sa.text("status = 'accepted'"),
            sqlite_where=sa.text("status = 'accepted'"),
        ),
        sa.Index(
            "uq_offers_one_pending_per_technician",
            "work_order_id",
            "technician_id",
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_offers_technician_status", "technician_id", "status"),
        sa.Index("ix_offers_status_expires", "status", "expires_at"),
    )

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id", index=True)
    technician_id: uuid.UUID = Field(foreign_key="technicians.id")
    status: str = Field(default=OfferStatus.PENDING, max_length=20)
    round: int = Field(default=1)
    score: float = Field(default=0.0)
    explanation: dict[str, Any] = json_field(dict)  # score terms, "why you"
    window_start: datetime | None = time_field()
    window_end: datetime | None = time_field()
    earnings_minor: int | None = None
    currency: str = Field(default="eur", max_length=3)
    expires_at: datetime = time_field(nullable=False)
    responded_at: datetime | None = time_field()
    decline_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()


class MissedOffer(SQLModel, table=True):
    """A "why not you" receipt: a job a technician was considered for and did not get.

    One per (technician, work order). The reason is in plain words and never names the
    technician who got the job.
    """

    __tablename__ = "missed_offers"
    __table_args__ = (
        sa.UniqueConstraint("technician_id", "work_order_id", name="uq_missed_offers_technician_order"),
        sa.Index("ix_missed_offers_technician_created", "technician_id", "created_at"),
    )

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id")
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    offer_id: uuid.UUID | None = Field(default=None, foreign_key="offers.id")
    reason_code: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    created_at: datetime = created_at_field()
