"""Money: what was earned, what was paid out, and the Stripe Connect onboarding link."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from api.tech_app.common import TechAction, TechScreen
from api.web import formats
from marketplace.payouts import service as payouts
from marketplace.sessions import READABLE_WHILE_SUSPENDED, readable_while_suspended
from marketplace.technicians import earnings


class MoneyPages(Controller):
    path = "/money"
    include_in_schema = False
    opt = readable_while_suspended()

    @get("")
    async def money(self, screen: TechScreen, link: FromQuery[uuid.UUID | None] = None) -> Template:
        db, principal = screen.db, screen.principal
        tz = await screen.zone()
        result = await earnings.get_earnings(db, principal, cursor=None, limit=20)
        account = await payouts.account_status(db, principal)
        s = result.summary
        return screen.render(
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
            onboarding=await payouts.get_account_link(db, principal, link) if link else None,
        )

    @post("/payout-link", status_code=303, opt={READABLE_WHILE_SUSPENDED: False})
    async def payout_link(self, action: TechAction) -> Redirect:
        """Asks for a Stripe Connect onboarding link; the page polls until it is ready."""

        async def verb(_form: dict[str, str]) -> str:
            link = await payouts.request_account_link(action.db, action.principal, now=action.now)
            return f"/tech/money?link={link.id}"

        return await action.run(verb)
