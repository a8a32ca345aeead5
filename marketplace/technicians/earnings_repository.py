"""Earnings queries, by name: a technician's completed work orders, their payouts and
when each visit was completed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.pagination import Page, page_of
from marketplace.payouts.models import Payout, PayoutStatus
from marketplace.visits.models import VisitStep, VisitStepKind
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus


def _completed_by(technician_id: uuid.UUID) -> tuple[Any, ...]:
    return (WorkOrder.technician_id == technician_id, WorkOrder.status == WorkOrderStatus.COMPLETED)


async def completed_totals(session: AsyncSession, technician_id: uuid.UUID) -> tuple[int, int, int]:
    """(count, summed price, summed platform fee) of the technician's completed work orders."""
    query = select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(col(WorkOrder.price_minor)), 0),
        sa.func.coalesce(sa.func.sum(col(WorkOrder.fee_minor)), 0),
    ).where(*_completed_by(technician_id))
    totals: Any = (await session.execute(query)).one()
    return int(totals[0]), int(totals[1]), int(totals[2])


async def paid_total(session: AsyncSession, technician_id: uuid.UUID) -> int:
    """What the technician's paid payouts add up to."""
    query = select(sa.func.coalesce(sa.func.sum(col(Payout.amount_minor)), 0)).where(
        Payout.technician_id == technician_id, Payout.status == PayoutStatus.PAID
    )
    return int((await session.execute(query)).scalar_one())


async def completed_orders_page(
    session: AsyncSession, technician_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[WorkOrder]:
    """The technician's completed work orders, newest first, one keyset page after `cursor`."""
    return await page_of(
        session, select(WorkOrder).where(*_completed_by(technician_id)), WorkOrder, cursor=cursor, limit=limit
    )


async def payouts_by_order(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Payout]:
    """The payouts of the work orders in `order_ids`, by work order id."""
    query = select(Payout).where(col(Payout.work_order_id).in_(order_ids))
    payouts: dict[uuid.UUID, Payout] = {}
    for p in (await session.execute(query)).scalars():
        if p.work_order_id is not None:
            payouts[p.work_order_id] = p
    return payouts


async def completion_times(
    session: AsyncSession, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each of the work orders in `order_ids` was marked completed on site, by work order id."""
    query = select(VisitStep.work_order_id, VisitStep.at).where(
        col(VisitStep.work_order_id).in_(order_ids), VisitStep.step == VisitStepKind.COMPLETED
    )
    return {wo_id: at for wo_id, at in (await session.execute(query)).all()}
