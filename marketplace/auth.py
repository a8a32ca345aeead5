"""Who is calling: passwords, bearer tokens and role checks.

Role checks happen at the edge (route guards); ownership checks happen in services,
which receive the `Principal` and refuse rows that are not the caller's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from marketplace.errors import Forbidden, Unauthenticated
from marketplace.settings import Settings
from marketplace.users.models import Role, User


class EmailNotVerified(Unauthenticated):
    slug = "email-not-verified"
    title = "The e-mail address is not confirmed yet"


_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    role: Role
    customer_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None
    can_expedite: bool = False
    token_id: uuid.UUID | None = None
    token_version: int = 0
    token_expires_at: int = 0
    suspended: bool = False

    @property
    def key(self) -> str:
        return f"{self.role.value}:{self.user_id}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"This action needs one of the roles: {', '.join(r.value for r in roles)}")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False


def issue_token(settings: Settings, user: User, *, now: datetime) -> str:
    issued_at = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "role": user.role,
        "iss": settings.jwt_issuer,
        "iat": issued_at,
        "exp": issued_at + settings.access_token_ttl_s,
        "jti": str(uuid.uuid4()),
        "ver": user.token_version or 0,
    }
    if user.customer_id:
        claims["cid"] = str(user.customer_id)
    if user.technician_id:
        claims["tid"] = str(user.technician_id)
    if user.can_expedite:
        claims["exp_ok"] = True
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def principal_from_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "role", "exp", "iss", "jti", "ver"]},
        )
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            role=Role(claims["role"]),
            customer_id=uuid.UUID(claims["cid"]) if claims.get("cid") else None,
            technician_id=uuid.UUID(claims["tid"]) if claims.get("tid") else None,
            can_expedite=bool(claims.get("exp_ok", False)),
            token_id=uuid.UUID(claims["jti"]),
            token_version=int(claims["ver"]),
            token_expires_at=int(claims["exp"]),
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated("The bearer token is invalid or expired") from exc


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = (await session.execute(select(User).where(User.email == email.lower()))).scalar_one_or_none()
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same work either way: no user enumeration by timing
        raise Unauthenticated("Wrong email or password")
    if not user.password_hash or not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthenticated("Wrong email or password")  # no password: signs in by link only
    if not user.email_verified:
        raise EmailNotVerified("Confirm your e-mail address first: follow the link we sent you")
    return user


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    display_name: str,
    customer_id: uuid.UUID | None = None,
    technician_id: uuid.UUID | None = None,
    can_expedite: bool = False,
) -> User:
    user = User(
        email=email.lower(),
        password_hash=hash_password(password),
        role=role.value,
        display_name=display_name,
        customer_id=customer_id,
        technician_id=technician_id,
        can_expedite=can_expedite,
    )
    session.add(user)
    await session.flush()
    return user


PRINCIPAL_SCOPE_KEY = "user"


def requires(*roles: Role) -> Any:
    """A route guard: the caller must be signed in with one of `roles`.

    Framework-neutral on purpose (it only reads the ASGI scope), so both HTTP surfaces can
    use it without importing each other.
    """

    def guard(connection: Any, _handler: Any) -> None:
        principal = connection.scope.get(PRINCIPAL_SCOPE_KEY)
        if not isinstance(principal, Principal):
            raise Unauthenticated("Send a bearer token: Authorization: Bearer <token>")
        principal.require(*roles)

    guard.__name__ = "requires_" + "_or_".join(r.value for r in roles)
    return guard


def signed_in(connection: Any, _handler: Any) -> None:
    """A route guard for any signed-in caller."""
    if not isinstance(connection.scope.get(PRINCIPAL_SCOPE_KEY), Principal):
        raise Unauthenticated("Send a bearer token: Authorization: Bearer <token>")
