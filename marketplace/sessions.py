"""Sessions that can be revoked: each request confirms its caller is still allowed in.

An access token is a signed JWT carrying its own id (`jti`) and the user's token version
(`ver`) at issue time. `confirm_principal` answers, in one primary-key query per request:
does the user still exist and is it active with the same role, is the token's version still
the user's current one (an admin's "revoke all sessions" bumps it), was this very token
signed out (`revoked_tokens`), and is a linked technician suspended.

A suspended technician keeps a session that may only read their own history: the route
handlers that allow it carry `opt=readable_while_suspended()`; everything else
answers 403 `technician-suspended` (see `suspended_technicians_read_history_only`).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from marketplace.auth import PRINCIPAL_SCOPE_KEY, Principal
from marketplace.errors import NotFound, Unauthenticated
from marketplace.technicians.errors import TechnicianSuspended
from marketplace.technicians.models import TechnicianStatus
from marketplace.timeutil import from_epoch
from marketplace.users import repository as users_repo
from marketplace.users.models import RevokedToken, Role

READABLE_WHILE_SUSPENDED = "readable_while_suspended"

_GONE = "This session has ended: sign in again"


async def confirm_principal(conn: AsyncConnection, principal: Principal) -> Principal:
    """The token's principal if its session still stands (with `suspended` filled in); else 401."""
    if principal.token_id is None:
        raise Unauthenticated(_GONE)
    row = await users_repo.session_state(conn, principal.user_id, principal.token_id)
    if row is None:  # the user was deleted
        raise Unauthenticated(_GONE)
    is_active, role, token_version, technician_status, revoked_jti = row
    if (
        not is_active
        or role != principal.role.value
        or token_version != principal.token_version
        or revoked_jti is not None
    ):
        raise Unauthenticated(_GONE)
    suspended = technician_status == TechnicianStatus.SUSPENDED.value
    return dataclasses.replace(principal, suspended=suspended) if suspended else principal


async def check_session(engine: AsyncEngine, principal: Principal) -> Principal:
    """`confirm_principal` on a pooled connection, as a single read outside any transaction."""
    async with engine.connect() as conn:
        single_read = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return await confirm_principal(single_read, principal)


async def sign_out(session: AsyncSession, principal: Principal, now: datetime) -> None:
    """Revoke the caller's own token (other devices stay signed in). Repeating it is a no-op."""
    if principal.token_id is None:
        raise Unauthenticated(_GONE)
    await users_repo.delete_expired_revocations(session, now)
    if await users_repo.revoked_token(session, principal.token_id) is None:
        session.add(
            RevokedToken(
                jti=principal.token_id,
                user_id=principal.user_id,
                expires_at=from_epoch(principal.token_expires_at),
            )
        )
    await session.flush()


async def revoke_all_sessions(session: AsyncSession, admin: Principal, user_id: uuid.UUID) -> int:
    """Admin: end every session of `user_id` at once; returns the user's new token version."""
    admin.require(Role.ADMIN)
    new_version = await users_repo.bump_token_version(session, user_id)
    if new_version is None:
        raise NotFound("No such user")
    return int(new_version)


def readable_while_suspended() -> dict[str, Any]:
    """Route handler `opt` for a route a suspended technician may still call."""
    return {READABLE_WHILE_SUSPENDED: True}


def suspended_technicians_read_history_only(connection: Any, handler: Any) -> None:
    """An app-wide route guard: a suspended technician may only call history-reading routes."""
    principal = connection.scope.get(PRINCIPAL_SCOPE_KEY)
    if not isinstance(principal, Principal) or not principal.suspended:
        return
    if not (getattr(handler, "opt", None) or {}).get(READABLE_WHILE_SUSPENDED):
        raise TechnicianSuspended(
            "Your technician account is suspended: you can read your visits, earnings, payouts and "
            "past offers, nothing else"
        )
