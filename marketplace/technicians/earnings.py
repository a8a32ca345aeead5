"""Read-only earnings for a technician: completed visits, what they paid, fees, payouts.

Amounts are integer minor units. Net = price - platform fee; when a payout row exists
its amount and status are authoritative.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.auth import Principal
from marketplace.pagination import Page, keyset_page
from marketplace.payouts.models import Payout, PayoutStatus
from marketplace.pricing.service import technician_pay
from marketplace.technicians.service import get_technician, own_technician_id
from marketplace.visits.models import VisitStep, VisitStepKind
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus


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
    completed = (WorkOrder.technician_id == technician_id, WorkOrder.status == WorkOrderStatus.COMPLETED)
    totals: Any = (
        await session.execute(
            select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(col(WorkOrder.price_minor)), 0),
                sa.func.coalesce(sa.func.sum(col(WorkOrder.fee_minor)), 0),
            ).where(*completed)
        )
    ).one()
    paid = (
        await session.execute(
            select(sa.func.coalesce(sa.func.sum(col(Payout.amount_minor)), 0)).where(
                Payout.technician_id == technician_id, Payout.status == PayoutStatus.PAID
            )
        )
    ).scalar_one()
    summary = EarningsSummary(
        currency=tech.currency,
        completed_visits=int(totals[0]),
        gross_minor=int(totals[1]),
        fees_minor=int(totals[2]),
        net_minor=int(totals[1]) - int(totals[2]),
        paid_minor=int(paid),
        payouts_enabled=tech.payouts_enabled,
        has_payout_account=tech.stripe_account_id is not None,
    )
    page = await keyset_page(
        session,
        select(WorkOrder).where(*completed),
        sort_column=col(WorkOrder.created_at),
        id_column=col(WorkOrder.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda w: w.created_at,
        id_of=lambda w: w.id,
        descending=True,
    )
    ids: list[uuid.UUID] = [w.id for w in page.items]
    payouts: dict[uuid.UUID, Payout] = {}
    finished: dict[uuid.UUID, datetime] = {}
    if ids:
        for p in (await session.execute(select(Payout).where(col(Payout.work_order_id).in_(ids)))).scalars():
            if p.work_order_id is not None:
                payouts[p.work_order_id] = p
        for wo_id, at in (
            await session.execute(
                select(VisitStep.work_order_id, VisitStep.at).where(
                    col(VisitStep.work_order_id).in_(ids), VisitStep.step == VisitStepKind.COMPLETED
                )
            )
        ).all():
            finished[wo_id] = at
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
