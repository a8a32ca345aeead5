"""Technician payouts: Stripe Connect onboarding link and payout account status."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath

from api.idempotency import idempotent
from marketplace.auth import requires
from marketplace.payouts import service
from marketplace.payouts.models import PayoutAccountLink
from marketplace.sessions import readable_while_suspended
from marketplace.users.models import Role
from mobile_api.deps import CurrentPrincipal, DbSession, Now


class AccountLinkOut(msgspec.Struct):
    id: uuid.UUID
    status: str  # pending | ready | failed
    url: str | None
    expires_at: datetime | None
    failure_reason: str | None
    created_at: datetime


class MoneyOut(msgspec.Struct):
    amount: int
    currency: str


class PayoutAccountOut(msgspec.Struct):
    has_account: bool
    payouts_enabled: bool
    owed: MoneyOut
    paid: MoneyOut
    held_payouts: int
    pending_payouts: int


def _link_out(link: PayoutAccountLink) -> AccountLinkOut:
    return AccountLinkOut(
        id=link.id,
        status=link.status,
        url=link.url,
        expires_at=link.expires_at,
        failure_reason=link.failure_reason,
        created_at=link.created_at,
    )


class PayoutsController(Controller):
    path = "/payouts"
    tags = ["mobile: payouts"]

    @post(
        "/account-links",
        operation_id="createPayoutAccountLink",
        guards=[requires(Role.TECHNICIAN)],
        status_code=202,
    )
    @idempotent
    async def create_link(
        self, now: Now, principal: CurrentPrincipal, db_session: DbSession
    ) -> AccountLinkOut:
        """Ask for a Stripe Connect onboarding link (your payout account is created on first use).

        Answers 202 with a link request in `pending`; poll `getPayoutAccountLink` until it is
        `ready` and open `url` in a browser. Links expire after a few minutes: ask again then.
        """
        return _link_out(await service.request_account_link(db_session, principal, now=now))

    @get(
        "/account-links/{link_id:uuid}",
        operation_id="getPayoutAccountLink",
        guards=[requires(Role.TECHNICIAN)],
    )
    async def get_link(
        self, link_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> AccountLinkOut:
        """One of your onboarding link requests (404 for anyone else's)."""
        return _link_out(await service.get_account_link(db_session, principal, link_id))

    @get(
        "/account",
        operation_id="getPayoutAccount",
        guards=[requires(Role.TECHNICIAN)],
        opt={"problems": (404,), **readable_while_suspended()},
    )
    async def account(self, principal: CurrentPrincipal, db_session: DbSession) -> PayoutAccountOut:
        """Your payout account: whether Stripe lets us pay you yet, and what we owe / have paid (ledger)."""
        status = await service.account_status(db_session, principal)
        return PayoutAccountOut(
            has_account=status.has_account,
            payouts_enabled=status.payouts_enabled,
            owed=MoneyOut(status.owed_minor, status.currency),
            paid=MoneyOut(status.paid_minor, status.currency),
            held_payouts=status.held_count,
            pending_payouts=status.pending_count,
        )
