"""Payouts' reactions to money moving: a payout for captured earnings, shrunk after a refund."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.events import EarningsCaptured, EarningsRefunded
from marketplace.payouts.service import adjust_unpaid_payout, schedule_payout


async def schedule_earnings_payout(session: AsyncSession, event: EarningsCaptured) -> None:
    await schedule_payout(
        session,
        technician_id=event.technician_id,
        work_order_id=event.work_order_id,
        amount_minor=event.amount_minor,
        currency=event.currency,
        policy=event.policy,
        now=event.now,
    )


async def shrink_unpaid_payout(session: AsyncSession, event: EarningsRefunded) -> None:
    await adjust_unpaid_payout(
        session, work_order_id=event.work_order_id, new_amount_minor=event.amount_minor
    )
