from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field


class Review(SQLModel, table=True):
    """CSAT: one review per visit per direction (customer -> technician and back)."""

    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("work_order_id", "author_role", name="uq_reviews_once_per_visit"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="ck_reviews_stars"),
    )

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    author_role: str = Field(max_length=20)  # "customer" or "technician"
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    technician_id: uuid.UUID = Field(foreign_key="technicians.id", index=True)
    stars: int
    comment: str | None = Field(default=None, max_length=4000)
    created_at: datetime = created_at_field()
