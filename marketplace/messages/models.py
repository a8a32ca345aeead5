from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import UTCDateTime, id_field, time_field

ONE_RECIPIENT = (
    " + ".join(
        f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)"
        for column in ("customer_id", "technician_id", "user_id")
    )
    + " = 1"
)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INBOX = "inbox"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # written; a delivery task is due
    SENT = "sent"  # handed to the SMTP server / SMS provider, or stored in the inbox
    FAILED = "failed"  # refused for good, or gave up after the last attempt


class Message(SQLModel, table=True):
    """One message to one person on one channel, rendered from a template.

    Exactly one of customer / technician / staff user is the recipient. `dedupe_key` makes
    composing idempotent: the same event told twice writes one row per channel.
    """

    __tablename__ = "messages"
    __table_args__ = (
        sa.CheckConstraint(ONE_RECIPIENT, name="ck_messages_one_recipient"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_messages_status"),
        sa.Index("ix_messages_customer_inbox", "customer_id", "channel", "created_at", "id"),
        sa.Index("ix_messages_technician_inbox", "technician_id", "channel", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    dedupe_key: str = Field(max_length=250, unique=True)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id")
    technician_id: uuid.UUID | None = Field(default=None, foreign_key="technicians.id")
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    channel: str = Field(max_length=10)
    address: str | None = Field(default=None, max_length=320)  # e-mail address or phone number
    template: str = Field(max_length=64)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=8000)
    work_order_id: uuid.UUID | None = Field(default=None, foreign_key="work_orders.id", index=True)
    status: str = Field(default=DeliveryStatus.QUEUED, max_length=10)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=1000)
    delivered_via: str | None = Field(default=None, max_length=20)  # smtp | log | inbox | sms provider
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    next_attempt_at: datetime | None = time_field()
    sent_at: datetime | None = time_field()
