from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from marketplace.db import UTCDateTime, id_field

# The outbox task a new work order enqueues: send its customer a sign-in link.
SEND_ORDER_LINK_TASK = "access.send_order_link"


class Purpose(StrEnum):
    CHOOSE_VISIT_TIME = "choose_visit_time"  # a customer signs in for one work order
    VERIFY_EMAIL = "verify_email"  # a self-signed-up customer proves their address
    STAFF_INVITATION = "staff_invitation"  # an invited staff member sets a password


class AccessLink(SQLModel, table=True):
    """One issued link. Only the token's SHA-256 is kept: a copy of this table signs nobody in."""

    __tablename__ = "access_links"

    id: uuid.UUID = id_field()
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE", index=True)
    work_order_id: uuid.UUID | None = Field(default=None, foreign_key="work_orders.id", index=True)
    issued_by: uuid.UUID | None = Field(default=None)  # the staff user who issued it; None: the system
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
