"""The fair-dispatch ledger and counter-offers.

`dispatch_decisions` is append-only (a database trigger refuses UPDATE and DELETE): one row
per thing that happened between a work order and a technician who could have had it.
Each offer gets exactly one final row (won, lost, declined, expired, withdrawn), which a
partial unique index enforces.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import created_at_field, id_field, json_field, time_field


class DecisionKind(StrEnum):
    RANKED = "ranked"  # considered and scored, not (yet) offered
    EXCLUDED = "excluded"  # near enough to tell, but a hard filter kept them out
    OFFERED = "offered"
    COUNTERED = "countered"
    DECLINED = "declined"
    EXPIRED = "expired"
    WON = "won"
    LOST = "lost"  # their offer closed because someone else won
    WITHDRAWN = "withdrawn"  # their offer closed for another reason (suspension, re-plan)


FINAL_KINDS = frozenset(
    {DecisionKind.DECLINED, DecisionKind.EXPIRED, DecisionKind.WON, DecisionKind.LOST, DecisionKind.WITHDRAWN}
)
_FINAL_SQL = "kind IN ('declined', 'expired', 'won', 'lost', 'withdrawn')"


class DispatchDecision(SQLModel, table=True):
    __tablename__ = "dispatch_decisions"
    __table_args__ = (
        sa.Index(
            "uq_dispatch_decisions_one_outcome_per_offer",
            "offer_id",
            unique=True,
            postgresql_where=sa.text(_FINAL_SQL),
            sqlite_where=sa.text(_FINAL_SQL),
        ),
        sa.Index("ix_dispatch_decisions_order", "work_order_id", "at"),
        sa.Index("ix_dispatch_decisions_region_at", "region", "at"),
        sa.Index("ix_dispatch_decisions_technician_at", "technician_id", "at"),
    )

    id: uuid.UUID = id_field()
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    technician_id: uuid.UUID = Field(foreign_key="technicians.id")
    offer_id: uuid.UUID | None = Field(default=None, foreign_key="offers.id")
    region: str = Field(max_length=64)
    kind: str = Field(max_length=20)
    rank: int | None = None
    cost: int | None = None  # the dispatch cost (integer cost units), lower is better
    travel_s: int | None = None
    travel_m: int | None = None
    sla_slack_s: int | None = None  # SLA deadline minus finish; negative = late
    terms: list[dict[str, Any]] = json_field(list)  # score terms: name, value, weight, contribution
    earnings_minor: int | None = None
    reason_code: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=500)  # the decisive reason, in words
    at: datetime = time_field(nullable=False)


class CounterStatus(StrEnum):
    QUEUED = "queued"  # waiting for a dispatcher
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUPERSEDED = "superseded"  # the offer closed before a dispatcher decided


class CounterOffer(SQLModel, table=True):
    """A technician's counter to a pending offer: other pay and/or another arrival window."""

    __tablename__ = "counter_offers"
    __table_args__ = (
        # One counter per offer: asking again returns the first answer.
        sa.UniqueConstraint("offer_id", name="uq_counter_offers_offer"),
        sa.Index("ix_counter_offers_status_created", "status", "created_at"),
    )

    id: uuid.UUID = id_field()
    offer_id: uuid.UUID = Field(foreign_key="offers.id")
    work_order_id: uuid.UUID = Field(foreign_key="work_orders.id")
    technician_id: uuid.UUID = Field(foreign_key="technicians.id")
    pay_minor: int
    currency: str = Field(max_length=3)
    window_start: datetime | None = time_field()
    window_end: datetime | None = time_field()
    note: str | None = Field(default=None, max_length=500)
    status: str = Field(max_length=20)
    reason: str = Field(max_length=500)  # the decision, in words with the numbers
    numbers: dict[str, Any] = json_field(dict)  # the pricing against the plan
    decided_by: uuid.UUID | None = None  # the dispatcher's user id, for a manual decision
    decided_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
