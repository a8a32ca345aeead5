"""Staff accounts made from the command line: the first admin of a fresh installation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import create_user, hash_password
from marketplace.errors import Conflict, InvalidInput
from marketplace.users import repository as repo
from marketplace.users.models import Role, User

MIN_PASSWORD_LENGTH = 10


class AdminOutcome(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    PASSWORD_RESET = "password_reset"


@dataclass(frozen=True, slots=True)
class AdminAccount:
    user: User
    outcome: AdminOutcome


async def ensure_admin(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str = "Administrator",
    reset_password: bool = False,
) -> AdminAccount:
    """Create the admin `email`, or leave an existing one as it is (idempotent).

    With `reset_password`, an existing admin gets `password` and every session it had ends.
    An email that belongs to a non-admin account is refused, never promoted.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"An admin password needs at least {MIN_PASSWORD_LENGTH} characters")
    if "@" not in email.strip("@"):
        raise InvalidInput("That is not an email address")
    existing = await repo.user_by_email(session, email.lower())
    if existing is None:
        user = await create_user(
            session, email=email, password=password, role=Role.ADMIN, display_name=display_name
        )
        return AdminAccount(user, AdminOutcome.CREATED)
    if existing.role != Role.ADMIN.value:
        raise Conflict(f"{existing.email} is a {existing.role} account; use another email for the admin")
    if not reset_password:
        return AdminAccount(existing, AdminOutcome.UNCHANGED)
    existing.password_hash = hash_password(password)
    existing.is_active = True
    existing.token_version = (existing.token_version or 0) + 1
    await session.flush()
    return AdminAccount(existing, AdminOutcome.PASSWORD_RESET)
