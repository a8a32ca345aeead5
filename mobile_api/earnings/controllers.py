"""Earnings: completed visits, fees, payouts (read-only)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get

from marketplace.auth import requires
from marketplace.sessions import readable_while_suspended
from marketplace.technicians import earnings as service
from marketplace.users.models import Role
from mobile_api.common import Cursor, Limit, Money
from mobile_api.deps import CurrentPrincipal, DbSession


class EarningLineOut(msgspec.Struct):
    work_order_id: str
    summary: str
    completed_at: datetime
    gross: Money
    fee: Money
    net: Money
    payout_status: str  # not_scheduled | pending | held | paid | failed | canceled
    payout_amount: Money | None
    paid_at: datetime | None


class EarningsSummaryOut(msgspec.Struct):
    completed_visits: int
    gross: Money
    fees: Money
    net: Money
    paid: Money
    unpaid: Money
    payouts_enabled: bool
    has_payout_account: bool


class EarningsOut(msgspec.Struct):
    summary: EarningsSummaryOut
    items: list[EarningLineOut]
    next_cursor: str | None


class EarningsController(Controller):
    path = "/earnings"
    tags = ["mobile: earnings"]
    guards = [requires(Role.TECHNICIAN)]

    @get("", operation_id="getEarnings", opt={"problems": (404,), **readable_while_suspended()})
    async def get_earnings(
        self, db_session: DbSession, principal: CurrentPrincipal, cursor: Cursor = None, limit: Limit = 20
    ) -> EarningsOut:
        """Totals over all completed visits, and the visits themselves newest first, each
        with price, platform fee, your net and its payout status. Amounts in minor units.
        Payout account onboarding: `createPayoutAccountLink`."""
        result = await service.get_earnings(db_session, principal, cursor=cursor, limit=limit)
        s = result.summary
        cur = s.currency
        return EarningsOut(
            summary=EarningsSummaryOut(
                completed_visits=s.completed_visits,
                gross=Money(s.gross_minor, cur),
                fees=Money(s.fees_minor, cur),
                net=Money(s.net_minor, cur),
                paid=Money(s.paid_minor, cur),
                unpaid=Money(s.unpaid_minor, cur),
                payouts_enabled=s.payouts_enabled,
                has_payout_account=s.has_payout_account,
            ),
            items=[
                EarningLineOut(
                    work_order_id=str(line.order.id),
                    summary=line.order.summary,
                    completed_at=line.completed_at,
                    gross=Money(line.gross_minor, line.order.currency),
                    fee=Money(line.fee_minor, line.order.currency),
                    net=Money(line.net_minor, line.order.currency),
                    payout_status=line.payout_status,
                    payout_amount=Money(line.payout.amount_minor, line.payout.currency)
                    if line.payout
                    else None,
                    paid_at=line.payout.paid_at if line.payout else None,
                )
                for line in result.lines.items
            ],
            next_cursor=result.lines.next_cursor,
        )
