"""Read-only earnings for a technician: completed visits, what they paid, fees, payouts.

Amounts are integer minor units. Net = price - platform fee; when a payout row exists
its amount and status are authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.pagination import Page
from marketplace.payouts.models import Payout
from marketplace.pricing.service import technician_pay
from marketplace.technicians import earnings_repository as repo
from marketplace.technicians.service import get_technician, own_technician_id
from marketplace.work_orders.models import WorkOrder


@dataclass(frozen=True, slots=True)
class EarningLine:
    order: WorkOrder
    completed_at: datetime
    gross_minor: int
    fee_minor: int
    net_minor: int
    payout: Payout | None

    @property
    def payout_status(self) -> str:
        return self.payout.status if self.payout else "not_scheduled"


@dataclass(frozen=True, slots=True)
class EarningsSummary:
    currency: str
    completed_visits: int
    gross_minor: int
    fees_minor: int
    net_minor: int
    paid_minor: int
    payouts_enabled: bool
    has_payout_account: bool

    @property
    def unpaid_minor(self) -> int:
        return self.net_minor - self.paid_minor


@dataclass(frozen=True, slots=True)
class Earnings:
    summary: EarningsSummary
    lines: Page[EarningLine]


async def get_earnings(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Earnings:
    technician_id = own_technician_id(principal)
    tech = await get_technician(session, technician_id)
    count, gross, fees = await repo.completed_totals(session, technician_id)
    summary = EarningsSummary(
        currency=tech.currency,
        completed_visits=count,
        gross_minor=gross,
        fees_minor=fees,
        net_minor=gross - fees,
        paid_minor=await repo.paid_total(session, technician_id),
        payouts_enabled=tech.payouts_enabled,
        has_payout_account=tech.stripe_account_id is not None,
    )
    page = await repo.completed_orders_page(session, technician_id, cursor=cursor, limit=limit)
    ids = [w.id for w in page.items]
    payouts = await repo.payouts_by_order(session, ids) if ids else {}
    finished = await repo.completion_times(session, ids) if ids else {}
    lines = []
    for w in page.items:
        lines.append(
            EarningLine(
                order=w,
                completed_at=finished.get(w.id, w.updated_at),
                gross_minor=w.price_minor,
                fee_minor=w.fee_minor,
                net_minor=technician_pay(w),
                payout=payouts.get(w.id),
            )
        )
    return Earnings(summary, Page(lines, page.next_cursor))
