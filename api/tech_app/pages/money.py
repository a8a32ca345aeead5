"""Money: what was earned, what was paid out, and the Stripe Connect onboarding link."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.deps import AppSettings, DbSession, Now, SessionFactory
from api.tech_app.common import act, page, technician_zone
from api.tech_app.session import checked_form, technician
from api.web import formats
from marketplace.payouts import service as payouts
from marketplace.sessions import READABLE_WHILE_SUSPENDED, readable_while_suspended
from marketplace.technicians import earnings


class MoneyPages(Controller):
    path = "/money"
    include_in_schema = False
    opt = readable_while_suspended()

    @get("")
    async def money(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        link: uuid.UUID | None = None,
    ) -> Template:
        principal = technician(request)
        tz = await technician_zone(db_session, principal)
        result = await earnings.get_earnings(db_session, principal, cursor=None, limit=20)
        account = await payouts.account_status(db_session, principal)
        s = result.summary
        onboarding = await payouts.get_account_link(db_session, principal, link) if link else None
        return page(
            request,
            settings,
            "money.html",
            tab="money",
            summary={
                "visits": s.completed_visits,
                "net": formats.money(s.net_minor, s.currency),
                "paid": formats.money(s.paid_minor, s.currency),
                "unpaid": formats.money(s.unpaid_minor, s.currency),
                "fees": formats.money(s.fees_minor, s.currency),
            },
            lines=[
                {
                    "summary": line.order.summary,
                    "when": formats.day_and_clock(line.completed_at, tz),
                    "net": formats.money(line.net_minor, line.order.currency),
                    "status": line.payout_status,
                }
                for line in result.lines.items
            ],
            account={
                "ready": account.payouts_enabled,
                "has_account": account.has_account,
                "owed": formats.money(account.owed_minor, account.currency),
                "held": account.held_count,
                "pending": account.pending_count,
            },
            onboarding=onboarding,
        )

    @post("/payout-link", status_code=303, opt={READABLE_WHILE_SUSPENDED: False})
    async def payout_link(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        """Asks for a Stripe Connect onboarding link; the page polls until it is ready."""
        principal = technician(request)
        await checked_form(request, settings)

        async def verb() -> str:
            link = await payouts.request_account_link(db_session, principal, now=now)
            return f"/tech/money?link={link.id}"

        return await act(
            request,
            principal=principal,
            db_session=db_session,
            session_factory=session_factory,
            settings=settings,
            now=now,
            verb=verb,
        )
