from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field


class LedgerEntry(SQLModel, table=True):
    """Append-only, signed, integer minor units. Entries sharing a correlation sum to zero.

    Corrections are new reversal entries; on PostgreSQL a trigger rejects UPDATE and DELETE.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.Index("ix_ledger_entries_account", "account"),
        sa.Index("ix_ledger_entries_correlation", "correlation_id"),
    )

    id: uuid.UUID = id_field()
    correlation_id: str = Field(max_length=128)
    account: str = Field(max_length=128)  # e.g. "customer:<id>", "platform:fees", "technician:<id>"
    amount_minor: int
    currency: str = Field(max_length=3)
    kind: str = Field(max_length=32)  # charge, fee, earning, transfer, refund, reversal
    work_order_id: uuid.UUID | None = Field(default=None, foreign_key="work_orders.id", index=True)
    reverses_entry_id: uuid.UUID | None = Field(default=None, foreign_key="ledger_entries.id")
    memo: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
