from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, time_field


class PayoutStatus(StrEnum):
    PENDING = "pending"  # waiting for its hold period
    HELD = "held"  # technician cannot receive payouts yet
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"  # nothing left to pay (e.g. refunded before the transfer)


class Payout(SQLModel, table=True):
    """A transfer to a technician's connected account. Stripe key: `payout-<id>`."""

    __tablename__ = "payouts"

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    work_order_id: uuid.UUID | None = Field(default=None, foreign_key="work_orders.id", unique=True)
    amount_minor: int
    currency: str = Field(default="eur", max_length=3)
    status: str = Field(default=PayoutStatus.PENDING, max_length=20, index=True)
    available_at: datetime = time_field(nullable=False)
    stripe_transfer_id: str | None = Field(default=None, max_length=64, unique=True)
    failure_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    paid_at: datetime | None = time_field()


class AccountLinkStatus(StrEnum):
    PENDING = "pending"  # the task has not created it yet
    READY = "ready"
    FAILED = "failed"


class PayoutAccountLink(SQLModel, table=True):
    """A request for a Stripe Connect onboarding link (created by a task, polled by the app)."""

    __tablename__ = "payout_account_links"

    id: uuid.UUID = id_field()
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    status: str = Field(default=AccountLinkStatus.PENDING, max_length=20)
    url: str | None = Field(default=None, max_length=2000)
    expires_at: datetime | None = time_field()
    failure_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
