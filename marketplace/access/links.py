"""Issue and consume links of any purpose (`repository.revoke_outstanding` withdraws them).

Consuming a link locks its row, so two racing uses of one link let exactly one through;
every link is single-use (`used_at`), and a new one for the same thing revokes the old.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.access import repository as repo
from marketplace.access import tokens
from marketplace.access.errors import AccessLinkExpired, AccessLinkInvalid, AccessLinkRevoked, AccessLinkUsed
from marketplace.access.models import AccessLink, Purpose

PAGES = {
    Purpose.CHOOSE_VISIT_TIME: "/app/access/",
    Purpose.VERIFY_EMAIL: "/app/verify-email/",
    Purpose.STAFF_INVITATION: "/app/invitation/",
}


@dataclass(frozen=True, slots=True)
class IssuedLink:
    link: AccessLink
    token: str  # shown once: only its hash is stored

    def url(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}{PAGES[Purpose(self.link.purpose)]}{self.token}"


async def issue(
    session: AsyncSession,
    purpose: Purpose,
    *,
    secret: str,
    now: datetime,
    ttl_s: int,
    customer_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    work_order_id: uuid.UUID | None = None,
    issued_by: uuid.UUID | None = None,
) -> IssuedLink:
    link_id = uuid.uuid4()
    token = tokens.mint(secret, purpose.value, link_id)
    link = AccessLink(
        id=link_id,
        purpose=purpose.value,
        token_hash=tokens.digest(token),
        customer_id=customer_id,
        user_id=user_id,
        work_order_id=work_order_id,
        issued_by=issued_by,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(link)
    await session.flush()
    return IssuedLink(link, token)


async def consume(
    session: AsyncSession, purpose: Purpose, token: str, *, secret: str, now: datetime
) -> AccessLink:
    """Use the link once: 401 `access-link-invalid` unless we signed it for `purpose`; 410
    `access-link-revoked` / `-used` / `-expired` when it can no longer be used."""
    link_id = tokens.read(secret, purpose.value, token)
    if link_id is None:
        raise AccessLinkInvalid("This link is not one of ours, or not for this")
    link = await repo.link_for_use(session, link_id)
    if (
        link is None
        or link.purpose != purpose.value
        or not hmac.compare_digest(link.token_hash, tokens.digest(token))
    ):
        raise AccessLinkInvalid("This link is not one of ours, or not for this")
    if link.revoked_at is not None:
        raise AccessLinkRevoked("This link was withdrawn; ask for a new one")
    if link.used_at is not None:
        raise AccessLinkUsed("This link was used already; each link works once, ask for a new one")
    if link.expires_at <= now:
        raise AccessLinkExpired("This link has expired; ask for a new one")
    link.used_at = now
    await session.flush()
    return link
