"""Payout tasks (Stripe Connect) and the held-payout sweeper.

`sweep_held_payouts(ctx)` is meant for a cron (e.g. every 10 minutes): it re-queues payouts
held while the technician's account was not enabled. It is registered as the periodic job
`payouts.sweep_held` in `workers/tasks/dispatch.py`.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.db import unit_of_work
from marketplace.outbox import push_pending, take_pending
from marketplace.payouts import service
from workers.context import TaskContext
from workers.registry import task
from workers.tasks.payments import gateway_for, retrying


@task(service.TRANSFER_TASK)
async def transfer(session: AsyncSession, ctx: TaskContext, *, payout_id: str) -> None:
    await retrying(
        session,
        service.TRANSFER_TASK,
        {"payout_id": payout_id},
        service.transfer(session, gateway_for(ctx), uuid.UUID(payout_id)),
    )


@task(service.ACCOUNT_LINK_TASK)
async def create_account_link(session: AsyncSession, ctx: TaskContext, *, link_id: str) -> None:
    await retrying(
        session,
        service.ACCOUNT_LINK_TASK,
        {"link_id": link_id},
        service.create_account_link(session, gateway_for(ctx), ctx.settings, uuid.UUID(link_id)),
    )


async def sweep_held_payouts(ctx: TaskContext) -> int:
    """Cron body: release held payouts of technicians whose accounts are now enabled."""
    async with unit_of_work(ctx.session_factory) as session:
        released = await service.release_held_payouts(session)
        pending = take_pending(session)
    await push_pending(ctx.session_factory, ctx.queue, pending)
    return released
