"""Staff accounts: an admin invites agents, dispatchers and admins by e-mail link, changes
their roles and deactivates them. A role change or deactivation ends the account's sessions
at once (its token version moves on; `marketplace.sessions` refuses older tokens)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.access import links
from marketplace.access import repository as access_repo
from marketplace.access.links import IssuedLink
from marketplace.access.models import Purpose
from marketplace.auth import Principal, hash_password
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.messages.models import Channel
from marketplace.messages.service import Outgoing, Recipient, compose
from marketplace.settings import Settings
from marketplace.users import repository as repo
from marketplace.users.accounts import MIN_PASSWORD_LENGTH
from marketplace.users.models import Role, User

STAFF_ROLES = (Role.AGENT, Role.DISPATCHER, Role.ADMIN)


class StaffStatus(StrEnum):
    INVITED = "invited"  # no password yet
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


def status_of(user: User) -> StaffStatus:
    if not user.is_active:
        return StaffStatus.DEACTIVATED
    return StaffStatus.ACTIVE if user.password_hash else StaffStatus.INVITED


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    link: IssuedLink
    created: bool


def _staff_role(role: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        parsed = None
    if parsed not in STAFF_ROLES:
        raise InvalidInput("A staff role is agent, dispatcher or admin")
    assert parsed is not None
    return parsed


async def invite(
    session: AsyncSession,
    settings: Settings,
    admin: Principal,
    *,
    email: str,
    display_name: str,
    role: str,
    now: datetime,
) -> Invitation:
    """Invite `email` as `role`; inviting a pending invitee again sends a fresh link (the
    older one is withdrawn). An address with an active or deactivated account is a 409."""
    admin.require(Role.ADMIN)
    wanted = _staff_role(role)
    address = email.strip().lower()
    user = await repo.user_by_email(session, address)
    created = user is None
    if user is None:
        user = User(
            email=address,
            password_hash="",
            role=wanted.value,
            display_name=display_name,
            email_verified=False,
        )
        session.add(user)
        await session.flush()
    elif user.role not in {r.value for r in STAFF_ROLES} or status_of(user) is not StaffStatus.INVITED:
        raise Conflict("This address already has an account", user_id=str(user.id))
    else:
        user.role, user.display_name = wanted.value, display_name
        await access_repo.revoke_outstanding(session, Purpose.STAFF_INVITATION, now=now, user_id=user.id)
    issued = await links.issue(
        session,
        Purpose.STAFF_INVITATION,
        secret=settings.jwt_secret,
        now=now,
        ttl_s=settings.staff_invitation_ttl_s,
        user_id=user.id,
        issued_by=admin.user_id,
    )
    await compose(
        session,
        Outgoing(
            Recipient(user_id=user.id),
            "staff_invitation",
            {
                "role": wanted.value,
                "url": issued.url(settings.public_url),
                "expires_at": issued.link.expires_at,
            },
            now=now,
            dedupe_key=f"staff-invitation:{issued.link.id}",
            channels=(Channel.EMAIL,),
        ),
    )
    return Invitation(user, issued, created)


async def accept(
    session: AsyncSession, settings: Settings, token: str, *, password: str, now: datetime
) -> User:
    """The invitee sets a password with their link; the account can sign in from then on."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters")
    link = await links.consume(session, Purpose.STAFF_INVITATION, token, secret=settings.jwt_secret, now=now)
    assert link.user_id is not None
    user = await repo.user(session, link.user_id)
    if user is None or not user.is_active:
        raise Forbidden("This invitation was withdrawn")
    user.password_hash = hash_password(password)
    user.email_verified = True  # the link reached this address
    await session.flush()
    return user


async def _staff_member(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repo.user(session, user_id)
    if user is None or user.role not in {r.value for r in STAFF_ROLES}:
        raise NotFound("No such staff member", user_id=str(user_id))
    return user


async def change_role(session: AsyncSession, admin: Principal, user_id: uuid.UUID, role: str) -> User:
    admin.require(Role.ADMIN)
    wanted = _staff_role(role)
    user = await _staff_member(session, user_id)
    if user.id == admin.user_id and wanted is not Role.ADMIN:
        raise Conflict("Admins cannot take away their own admin role; ask another admin")
    if user.role != wanted.value:
        user.role = wanted.value
        user.token_version = (user.token_version or 0) + 1  # tokens carry the role: sign in again
        await session.flush()
    return user


async def deactivate(session: AsyncSession, admin: Principal, user_id: uuid.UUID, *, now: datetime) -> User:
    """End the account: it cannot sign in, every session stops now, pending invitations are
    withdrawn. Repeating it changes nothing."""
    admin.require(Role.ADMIN)
    user = await _staff_member(session, user_id)
    if user.id == admin.user_id:
        raise Conflict("Admins cannot deactivate themselves; ask another admin")
    if user.is_active:
        user.is_active = False
        user.token_version = (user.token_version or 0) + 1
        await access_repo.revoke_outstanding(session, Purpose.STAFF_INVITATION, now=now, user_id=user.id)
        await session.flush()
    return user


async def list_staff(session: AsyncSession, admin: Principal) -> list[User]:
    admin.require(Role.ADMIN)
    return await repo.users_with_roles(session, [r.value for r in STAFF_ROLES])
