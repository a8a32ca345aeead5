"""Customer access to their work orders: the sign-in link a new order sends, staff
re-issuing or withdrawing it, and exchanging it for a customer session.

A link is bound to one work order and the purpose "choose your visit time"; exchanging it
signs the holder in as that order's customer (their own orders only, like any customer
session) and uses it up. A customer without a login gets one on first exchange, with no
password and an unverified address (the link may have come by SMS).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.access import links
from marketplace.access import repository as repo
from marketplace.access.links import IssuedLink
from marketplace.access.models import Purpose
from marketplace.auth import Principal
from marketplace.customers import repository as customers_repo
from marketplace.customers.models import Customer
from marketplace.errors import NotFound, Unauthenticated
from marketplace.messages import notices
from marketplace.messages.models import Channel
from marketplace.messages.service import Outgoing, compose
from marketplace.settings import Settings
from marketplace.users import repository as users_repo
from marketplace.users.models import Role, User
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.state import TERMINAL

NO_PASSWORD = ""  # never matches: such a login signs in by link only


@dataclass(frozen=True, slots=True)
class CustomerSession:
    user: User
    work_order_id: uuid.UUID | None
    purpose: str


async def send_order_link(
    session: AsyncSession, settings: Settings, work_order_id: uuid.UUID, *, now: datetime
) -> IssuedLink | None:
    """The first link for a new order, by e-mail/SMS, with a note in the inbox. Runs once per
    order (a repeated task finds the link already issued)."""
    order = await repo.work_order(session, work_order_id)
    if order is None or order.status in TERMINAL:
        return None
    if await repo.any_issued(session, Purpose.CHOOSE_VISIT_TIME, work_order_id=order.id):
        return None
    issued = await _issue(session, settings, order, now=now, issued_by=None)
    await _tell(session, settings, order, issued, now=now)
    return issued


async def reissue(
    session: AsyncSession,
    settings: Settings,
    staff: Principal,
    work_order_id: uuid.UUID,
    *,
    now: datetime,
    send: bool,
) -> IssuedLink:
    """Staff: withdraw the order's outstanding links and issue a new one (to read out on the
    call, and with `send` also by e-mail/SMS)."""
    order = await repo.work_order(session, work_order_id)
    if order is None:
        raise NotFound("No such work order", work_order_id=str(work_order_id))
    await repo.revoke_outstanding(session, Purpose.CHOOSE_VISIT_TIME, now=now, work_order_id=order.id)
    issued = await _issue(session, settings, order, now=now, issued_by=staff.user_id)
    if send:
        await _tell(session, settings, order, issued, now=now)
    return issued


async def revoke(session: AsyncSession, work_order_id: uuid.UUID, *, now: datetime) -> int:
    """Staff: withdraw every outstanding sign-in link of the order; how many there were."""
    if await repo.work_order(session, work_order_id) is None:
        raise NotFound("No such work order", work_order_id=str(work_order_id))
    return await repo.revoke_outstanding(
        session, Purpose.CHOOSE_VISIT_TIME, now=now, work_order_id=work_order_id
    )


async def exchange(
    session: AsyncSession, settings: Settings, token: str, *, now: datetime
) -> CustomerSession:
    """Use a sign-in link: the login of the order's customer (made on first use)."""
    link = await links.consume(session, Purpose.CHOOSE_VISIT_TIME, token, secret=settings.jwt_secret, now=now)
    assert link.customer_id is not None
    customer = await customers_repo.customer(session, link.customer_id)
    if customer is None:
        raise Unauthenticated("This customer no longer exists")
    user = await login_for(session, customer)
    if not user.is_active:
        raise Unauthenticated("This account is closed")
    return CustomerSession(user, link.work_order_id, link.purpose)


async def login_for(session: AsyncSession, customer: Customer) -> User:
    """The customer's login, made without a password when they have none."""
    user = await repo.first_login_of(session, customer.id)
    if user is not None:
        return user
    email = (customer.email or "").strip().lower()
    taken = bool(email) and await users_repo.email_in_use(session, email)
    user = User(
        email=email if email and not taken else f"customer-{customer.id}@customers.invalid",
        password_hash=NO_PASSWORD,
        role=Role.CUSTOMER.value,
        display_name=customer.name,
        customer_id=customer.id,
        email_verified=False,
    )
    session.add(user)
    await session.flush()
    return user


async def _issue(
    session: AsyncSession, settings: Settings, order: WorkOrder, *, now: datetime, issued_by: uuid.UUID | None
) -> IssuedLink:
    return await links.issue(
        session,
        Purpose.CHOOSE_VISIT_TIME,
        secret=settings.jwt_secret,
        now=now,
        ttl_s=settings.access_link_ttl_s,
        customer_id=order.customer_id,
        work_order_id=order.id,
        issued_by=issued_by,
    )


async def _tell(
    session: AsyncSession, settings: Settings, order: WorkOrder, issued: IssuedLink, *, now: datetime
) -> None:
    await notices.access_link(
        session,
        customer_id=order.customer_id,
        url=issued.url(settings.public_url),
        expires_at=issued.link.expires_at,
        summary=order.summary,
        dedupe_key=f"access-link:{issued.link.id}",
        now=now,
        work_order_id=order.id,
    )
    await compose(
        session,
        Outgoing(
            notices.to_customer(order.customer_id),
            "visit_to_book",
            {"summary": order.summary},
            now=now,
            dedupe_key=f"visit-to-book:{order.id}",
            work_order_id=order.id,
            channels=(Channel.INBOX,),
        ),
    )
