"""Inbound webhook events (Stripe, helpdesks), stored once before they are handled."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field, time_field
from marketplace.db_dialect import insert_ignoring_conflicts


class ExternalEvent(SQLModel, table=True):
    __tablename__ = "external_events"
    __table_args__ = (sa.UniqueConstraint("source", "event_id", name="uq_external_events_source_id"),)

    id: uuid.UUID = id_field()
    source: str = Field(max_length=32)
    event_id: str = Field(max_length=128)
    type: str = Field(max_length=128)
    payload: dict[str, Any] = json_field(dict)
    received_at: datetime = created_at_field()
    processed_at: datetime | None = time_field()


async def record_external_event(
    session: AsyncSession, *, source: str, event_id: str, type: str, payload: dict[str, Any]
) -> ExternalEvent | None:
    """Store the event unless already stored; returns the new row, or None for a duplicate."""
    row_id = uuid.uuid4()
    inserted = await insert_ignoring_conflicts(
        session,
        ExternalEvent,
        {"id": row_id, "source": source, "event_id": event_id, "type": type, "payload": payload},
        conflict_columns=["source", "event_id"],
    )
    if not inserted:
        return None
    return await session.get(ExternalEvent, row_id)
