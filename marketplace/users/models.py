from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from marketplace.db import UTCDateTime, created_at_field, id_field


class Role(StrEnum):
    CUSTOMER = "customer"
    TECHNICIAN = "technician"
    AGENT = "agent"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


class User(SQLModel, table=True):
    """A login. Customers and technicians link to their domain row; staff do not."""

    __tablename__ = "users"

    id: uuid.UUID = id_field()
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    display_name: str = Field(max_length=200)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    technician_id: uuid.UUID | None = Field(default=None, foreign_key="technicians.id", index=True)
    can_expedite: bool = Field(default=False)
    is_active: bool = Field(default=True)
    # False until the owner of `email` proved it (self sign-up, or a login made from a helpdesk
    # address); only verified addresses join helpdesk customers to an account.
    email_verified: bool = Field(default=True)
    # Every access token carries the version it was issued under; bumping it revokes them all.
    token_version: int = Field(default=0)
    created_at: datetime = created_at_field()


class RevokedToken(SQLModel, table=True):
    """A signed-out access token (by its `jti`), refused until it would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
