"""Customers signing up themselves: an account that cannot sign in until its e-mail address
is confirmed by the link we send there.

Signing up again with an address that is not confirmed yet replaces the password and
withdraws the earlier links (the latest sign-up wins); an address that already has a
confirmed account gets no new account, and the answer does not say so (no enumeration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.access import links
from marketplace.access import repository as access_repo
from marketplace.access.models import Purpose
from marketplace.auth import hash_password
from marketplace.customers import repository as repo
from marketplace.customers.models import Customer
from marketplace.errors import InvalidInput
from marketplace.messages.models import Channel
from marketplace.messages.service import Outgoing, Recipient, compose
from marketplace.settings import Settings
from marketplace.users import repository as users_repo
from marketplace.users.accounts import MIN_PASSWORD_LENGTH
from marketplace.users.models import Role, User


async def sign_up(
    session: AsyncSession, settings: Settings, *, email: str, name: str, password: str, now: datetime
) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters")
    address = email.strip().lower()
    user = await users_repo.user_by_email(session, address)
    if user is not None:
        if user.email_verified or user.role != Role.CUSTOMER.value or not user.is_active:
            return
        user.password_hash = hash_password(password)
        user.display_name = name
        user.token_version = (user.token_version or 0) + 1
        await access_repo.revoke_outstanding(session, Purpose.VERIFY_EMAIL, now=now, user_id=user.id)
    else:
        customer = Customer(name=name, email=address, timezone=settings.default_timezone)
        session.add(customer)
        await session.flush()
        user = User(
            email=address,
            password_hash=hash_password(password),
            role=Role.CUSTOMER.value,
            display_name=name,
            customer_id=customer.id,
            email_verified=False,
        )
        session.add(user)
        await session.flush()
    issued = await links.issue(
        session,
        Purpose.VERIFY_EMAIL,
        secret=settings.jwt_secret,
        now=now,
        ttl_s=settings.email_verification_ttl_s,
        user_id=user.id,
        customer_id=user.customer_id,
    )
    await compose(
        session,
        Outgoing(
            Recipient(user_id=user.id),
            "verify_email",
            {"url": issued.url(settings.public_url), "expires_at": issued.link.expires_at},
            now=now,
            dedupe_key=f"verify-email:{issued.link.id}",
            channels=(Channel.EMAIL,),
        ),
    )


async def verify_email(session: AsyncSession, settings: Settings, token: str, *, now: datetime) -> User:
    """Use a confirmation link: the account may sign in from now on."""
    link = await links.consume(session, Purpose.VERIFY_EMAIL, token, secret=settings.jwt_secret, now=now)
    assert link.user_id is not None
    user = await users_repo.user(session, link.user_id)
    if user is None:
        raise InvalidInput("This account no longer exists")
    user.email_verified = True
    if user.customer_id is not None:
        customer = await repo.customer(session, user.customer_id)
        if customer is not None:
            customer.email = user.email
    await session.flush()
    return user


async def customer_with_verified_email(session: AsyncSession, email: str | None) -> Customer | None:
    """The customer whose login has confirmed `email`, if any: the only way a helpdesk's
    customer joins an existing account."""
    if not email or not email.strip():
        return None
    customer_id = await repo.customer_id_with_verified_email(session, email.strip().lower())
    return await repo.customer(session, customer_id) if customer_id else None
