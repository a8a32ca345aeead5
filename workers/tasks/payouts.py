"""Payout tasks (Stripe Connect) and the held-payout sweeper.

`sweep_held_payouts(ctx)` is meant for a cron (e.g. every 10 minutes): it re-queues payouts
held while the technician's account was not enabled.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.outbox import push_pending, take_pending
from marketplace.payouts import service
from workers.context import TaskContext
from workers.registry import task
from workers.tasks.payments import gateway_for


@task(service.TRANSFER_TASK)
async def transfer(session: AsyncSession, ctx: TaskContext, *, now: datetime, payout_id: str) -> None:
    await service.transfer(session, gateway_for(ctx), uuid.UUID(payout_id), now=now)


@task(service.ACCOUNT_LINK_TASK)
async def create_account_link(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, link_id: str
) -> None:
    await service.create_account_link(session, gateway_for(ctx), ctx.settings, uuid.UUID(link_id))


async def sweep_held_payouts(ctx: TaskContext) -> int:
    """Cron body: release held payouts of technicians whose accounts are now enabled."""
    now = utcnow()
    async with unit_of_work(ctx.session_factory) as session:
        released = await service.release_held_payouts(session, now=now)
        pending = take_pending(session)
    await push_pending(ctx.session_factory, ctx.queue, pending, now=now)
    return released
