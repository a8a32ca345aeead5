"""Login and session queries, by name: users, their token versions and signed-out tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col, select

from marketplace.technicians.models import Technician
from marketplace.users.models import RevokedToken, User

_users = User.__table__  # type: ignore[attr-defined]
_technicians = Technician.__table__  # type: ignore[attr-defined]
_revoked = RevokedToken.__table__  # type: ignore[attr-defined]

# --------------------------------------------------------------------------- users


async def user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """One login by id."""
    return await session.get(User, user_id)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The login with exactly this (already normalised) e-mail address."""
    query = select(User).where(User.email == email)
    return (await session.execute(query)).scalar_one_or_none()


async def email_in_use(session: AsyncSession, email: str) -> bool:
    """Whether a login has exactly this (already normalised) e-mail address."""
    return (await session.execute(select(User.id).where(User.email == email))).first() is not None


async def users_with_roles(session: AsyncSession, roles: Sequence[str]) -> list[User]:
    """Every login whose role is one of `roles`, by e-mail address."""
    query = select(User).where(col(User.role).in_(list(roles))).order_by(col(User.email))
    return list((await session.execute(query)).scalars())


# --------------------------------------------------------------------------- sessions


_SESSION_STATE = (
    sa.select(
        _users.c.is_active,
        _users.c.role,
        _users.c.token_version,
        _technicians.c.status,
        _revoked.c.jti,
    )
    .select_from(_users)
    .outerjoin(_technicians, _technicians.c.id == _users.c.technician_id)
    .outerjoin(_revoked, _revoked.c.jti == sa.bindparam("token_id", type_=sa.Uuid()))
    .where(_users.c.id == sa.bindparam("user_id", type_=sa.Uuid()))
)


async def session_state(
    conn: AsyncConnection, user_id: uuid.UUID, token_id: uuid.UUID
) -> sa.Row[bool, str, int, str | None, uuid.UUID | None] | None:
    """(is_active, role, token_version, linked technician's status, the token id when that
    token was signed out) of the user, in one primary-key query; None when the user is gone."""
    params = {"user_id": user_id, "token_id": token_id}
    return (await conn.execute(_SESSION_STATE, params)).first()


async def delete_expired_revocations(session: AsyncSession, now: datetime) -> None:
    """Forget signed-out tokens that have expired by `now` (they are refused anyway)."""
    await session.execute(sa.delete(_revoked).where(_revoked.c.expires_at < now))


async def revoked_token(session: AsyncSession, token_id: uuid.UUID) -> RevokedToken | None:
    """The record of the signed-out token `token_id`, if it was signed out."""
    return await session.get(RevokedToken, token_id)


async def bump_token_version(session: AsyncSession, user_id: uuid.UUID) -> int | None:
    """Move the user's token version on by one (every older token stops working); the new
    version, or None when there is no such user."""
    result = await session.execute(
        sa.update(_users)
        .where(_users.c.id == user_id)
        .values(token_version=_users.c.token_version + 1)
        .returning(_users.c.token_version)
    )
    return result.scalar_one_or_none()
