from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field


class Notification(SQLModel, table=True):
    """A message to a person (in-app; mirrored to log/webhook by the Notifier).

    `dedupe_key` makes sending idempotent: a task that runs twice writes one row.
    """

    __tablename__ = "notifications"

    id: uuid.UUID = id_field()
    dedupe_key: str = Field(max_length=200, unique=True)
    recipient_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    recipient_role: str | None = Field(default=None, max_length=20)
    kind: str = Field(max_length=64)
    subject: str = Field(max_length=300)
    body: str = Field(default="", max_length=4000)
    work_order_id: uuid.UUID | None = Field(default=None, foreign_key="work_orders.id", index=True)
    data: dict[str, Any] = json_field(dict)
    created_at: datetime = created_at_field()
