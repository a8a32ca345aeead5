from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field


class PaymentStatus(StrEnum):
    PENDING = "pending"  # row written, authorisation task not yet done
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"


LIVE_STATUSES = frozenset({PaymentStatus.PENDING, PaymentStatus.AUTHORIZED})


class Payment(SQLModel, table=True):
    """The customer's PaymentIntent for one work order (manual capture)."""

    __tablename__ = "payments"

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id", unique=True)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    status: str = Field(default=PaymentStatus.PENDING, max_length=32)
    amount_authorized_minor: int = Field(default=0)
    amount_captured_minor: int = Field(default=0)
    amount_refunded_minor: int = Field(default=0)
    currency: str = Field(default="eur", max_length=3)
    payment_method: str | None = Field(default=None, max_length=128)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=64, unique=True)
    failure_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # Which appointment and attempt this payment belongs to, and Stripe's outcome:
    appointment_id: uuid.UUID | None = Field(default=None, foreign_key="appointments.id")
    attempt: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # new PI after a decline
    stripe_charge_id: str | None = Field(default=None, max_length=64)
    failure_code: str | None = Field(default=None, max_length=64)
    cancellation_fee_minor: int | None = None


class BillingProfile(SQLModel, table=True):
    """A customer's saved payment method (a Stripe PaymentMethod id collected by Stripe.js)."""

    __tablename__ = "billing_profiles"

    customer_id: uuid.UUID = Field(foreign_key="customers.id", primary_key=True)
    default_payment_method: str = Field(max_length=128)
    updated_at: datetime = created_at_field()
