from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field, time_field


class CallbackRequest(SQLModel, table=True):
    """'Talk to a human': a customer asks support to call back, with the visit's context."""

    __tablename__ = "callback_requests"

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID | None = Field(default=None, foreign_key="work_orders.id", index=True)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    reason: str = Field(max_length=2000)
    context: dict[str, Any] = json_field(dict)
    status: str = Field(default="open", max_length=20)
    created_at: datetime = created_at_field()
    resolved_at: datetime | None = time_field()
