"""Customer access: sign-in links for work orders (exchange, re-issue, withdraw), self
sign-up and e-mail confirmation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Response, post
from litestar.params import JSONBody, PathParameter

from api.auth.schemas import Email
from api.deps import AppSettings, CurrentPrincipal, DbSession, Now
from marketplace.access import customers as access
from marketplace.auth import issue_token, requires
from marketplace.customers import signup
from marketplace.users.models import Role

Token = Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
WorkOrderId = Annotated[uuid.UUID, PathParameter(description="Work order id")]
LINK_PROBLEMS = {"problems": (401, 410)}


class ExchangeIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token


class CustomerSessionOut(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    role: str
    user_id: str
    customer_id: str
    work_order_id: str | None
    purpose: str


class ReissueIn(msgspec.Struct, forbid_unknown_fields=True):
    send: bool = False


class AccessLinkOut(msgspec.Struct):
    link_id: str
    work_order_id: str
    url: str
    expires_at: datetime
    sent: bool


class LinksRevoked(msgspec.Struct):
    work_order_id: str
    revoked: int


class CustomerSignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Password


class CustomerSignUpOut(msgspec.Struct):
    status: str


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token


class VerifiedOut(msgspec.Struct):
    user_id: str
    email: str
    email_verified: bool


class CustomerAccessController(Controller):
    path = "/"
    tags = ["customer access"]

    @post(
        "/auth/access-links/exchange",
        operation_id="exchangeAccessLink",
        status_code=200,
        security=[],
        opt=LINK_PROBLEMS,
    )
    async def exchange(
        self, now: Now, data: JSONBody[ExchangeIn], db_session: DbSession, settings: AppSettings
    ) -> CustomerSessionOut:
        """Sign in with the link a customer received (the token is the last part of
        `/app/access/{token}`): a customer bearer token that reaches only their own orders.
        Each link works once: 410 `access-link-used`, `-expired` or `-revoked` afterwards;
        401 `access-link-invalid` for a token that is not ours."""
        result = await access.exchange(db_session, settings, data.token, now=now)
        user = result.user
        assert user.customer_id is not None
        return CustomerSessionOut(
            access_token=issue_token(settings, user, now=now),
            token_type="Bearer",
            expires_in=settings.access_token_ttl_s,
            role=user.role,
            user_id=str(user.id),
            customer_id=str(user.customer_id),
            work_order_id=str(result.work_order_id) if result.work_order_id else None,
            purpose=result.purpose,
        )

    @post(
        "/work-orders/{work_order_id:uuid}/access-links",
        operation_id="reissueAccessLink",
        guards=[requires(Role.AGENT, Role.DISPATCHER, Role.ADMIN)],
        status_code=201,
    )
    async def reissue(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        principal: CurrentPrincipal,
        db_session: DbSession,
        settings: AppSettings,
        data: JSONBody[ReissueIn | None] = None,
    ) -> AccessLinkOut:
        """Staff: a new sign-in link for the order's customer, to read out on the call (and
        with `send: true` also sent by e-mail/SMS). Earlier unused links of the order stop
        working. Not replayed by Idempotency-Key on purpose: each call is a fresh link and
        the last one wins."""
        send = bool(data and data.send)
        issued = await access.reissue(db_session, settings, principal, work_order_id, now=now, send=send)
        return AccessLinkOut(
            link_id=str(issued.link.id),
            work_order_id=str(work_order_id),
            url=issued.url(settings.public_url),
            expires_at=issued.link.expires_at,
            sent=send,
        )

    @post(
        "/work-orders/{work_order_id:uuid}/access-links/revoke",
        operation_id="revokeAccessLinks",
        guards=[requires(Role.AGENT, Role.DISPATCHER, Role.ADMIN)],
        status_code=200,
    )
    async def revoke(self, now: Now, work_order_id: WorkOrderId, db_session: DbSession) -> LinksRevoked:
        """Staff: every unused sign-in link of the order stops working (410
        `access-link-revoked`). Sessions already signed in are not ended here."""
        count = await access.revoke(db_session, work_order_id, now=now)
        return LinksRevoked(work_order_id=str(work_order_id), revoked=count)

    @post("/customers/signup", operation_id="signUpCustomer", status_code=202, security=[])
    async def sign_up(
        self, now: Now, data: JSONBody[CustomerSignUpIn], db_session: DbSession, settings: AppSettings
    ) -> Response[CustomerSignUpOut]:
        """Create a customer account (202): it can sign in once the address is confirmed with
        the link we e-mail. The answer is the same whether or not the address already has an
        account; signing up again before confirming replaces the password and sends a new
        link. Safe to repeat."""
        await signup.sign_up(
            db_session, settings, email=data.email, name=data.name, password=data.password, now=now
        )
        return Response(CustomerSignUpOut(status="confirmation_sent"), status_code=202)

    @post("/auth/verify-email", operation_id="verifyEmail", status_code=200, security=[], opt=LINK_PROBLEMS)
    async def verify_email(
        self, now: Now, data: JSONBody[VerifyIn], db_session: DbSession, settings: AppSettings
    ) -> VerifiedOut:
        """Confirm an address with the link's token (`/app/verify-email/{token}`); the account
        may sign in from then on (`createToken`)."""
        user = await signup.verify_email(db_session, settings, data.token, now=now)
        return VerifiedOut(user_id=str(user.id), email=user.email, email_verified=user.email_verified)
