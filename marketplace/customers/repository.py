"""Customer queries, by name."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from marketplace.customers.models import Customer
from marketplace.users.models import Role, User


async def customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """One customer by id."""
    return await session.get(Customer, customer_id)


async def customer_id_with_verified_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The customer whose active login has confirmed this (already normalised) e-mail address."""
    query = select(User.customer_id).where(
        User.email == email,
        User.email_verified == True,  # noqa: E712
        User.is_active == True,  # noqa: E712
        User.role == Role.CUSTOMER.value,
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()
