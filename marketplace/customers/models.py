from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field


class CustomerTier(StrEnum):
    STANDARD = "standard"
    PRIORITY = "priority"
    PREMIUM = "premium"


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (sa.UniqueConstraint("external_source", "external_ref", name="uq_customers_external"),)

    id: uuid.UUID = id_field()
    external_source: str | None = Field(default=None, max_length=64)  # helpdesk name
    external_ref: str | None = Field(default=None, max_length=128)  # helpdesk's customer id
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    tier: str = Field(default=CustomerTier.STANDARD, max_length=20)
    timezone: str = Field(default="UTC", max_length=64)
    stripe_customer_id: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()
