"""Payouts' reactions: a payout for captured earnings, shrunk after a refund; a connected
account refreshed when Stripe says it changed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.events import EarningsCaptured, EarningsRefunded, PayoutAccountChanged
from marketplace.payouts.service import adjust_unpaid_payout, schedule_payout, sync_account


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


async def refresh_payout_account(session: AsyncSession, event: PayoutAccountChanged) -> None:
    await sync_account(session, event.gateway, event.account_id, now=event.now)
