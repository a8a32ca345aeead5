"""Dispatch tasks and periodic jobs: instant cascade, per-region batch runs, re-planning,
the offer-expiry sweeper and the held-payout sweeper.

Periodic jobs only *find* work and enqueue one outbox task per unit (an order, a region, a
technician) with a dedupe key derived from the state they saw, so several workers share
the load and a cron that fires twice enqueues nothing new. The tasks lock what they
change and re-check, so a task delivered twice has the effect of once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from arq import Retry
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.assignment import batch, instant, replan
from marketplace.clock import utcnow
from marketplace.offers.answers import expire_due_offers
from marketplace.timeutil import to_epoch
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.registry import task
from workers.tasks._uow import dispatch_config, in_unit_of_work
from workers.tasks.payouts import sweep_held_payouts

log = logging.getLogger(__name__)

INSTANT_TASK = "dispatch.instant"
BATCH_TASK = replan.BATCH_TASK
REPLAN_TASK = replan.REPLAN_TASK


@task(INSTANT_TASK)
async def instant_dispatch(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, work_order_id: str
) -> None:
    result = await instant.instant_step(
        session, uuid.UUID(work_order_id), config=dispatch_config(ctx), now=now
    )
    log.info("instant dispatch step", extra={"work_order_id": work_order_id, "step": result.step.value})


@task(BATCH_TASK)
async def batch_region(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, region: str, trigger: str = "cron"
) -> None:
    summary = await batch.run_region(
        session, region, settings=ctx.settings, config=dispatch_config(ctx), trigger=trigger, now=now
    )
    if summary.skipped:  # another run holds the region: run again shortly, do not drop it
        raise Retry(defer=5)
    log.info(
        "batch dispatch run",
        extra={k: v for k, v in summary.as_dict().items() if k != "decisions"},
    )


@task(REPLAN_TASK)
async def replan_technician(
    session: AsyncSession,
    ctx: TaskContext,
    *,
    now: datetime,
    technician_id: str,
    reason: str,
    release_all: bool = False,
) -> None:
    summary = await replan.replan_technician(
        session,
        uuid.UUID(technician_id),
        now=now,
        settings=ctx.settings,
        config=dispatch_config(ctx),
        reason=reason,
        release_all=release_all,
    )
    log.info("re-planned", extra={"technician_id": technician_id, "released": len(summary.released)})


# ----------------------------------------------------------------------------- periodic


async def sweep_urgent_orders(ctx: TaskContext) -> int:
    config = dispatch_config(ctx)
    now = utcnow()

    async def body(session: AsyncSession) -> int:
        found = await instant.urgent_orders_needing_a_step(session, config=config)
        for order_id, offers_so_far in found:
            await outbox.enqueue(
                session,
                INSTANT_TASK,
                {"work_order_id": str(order_id)},
                dedupe_key=f"instant:{order_id}:{offers_so_far}",
                now=now,
            )
        return len(found)

    return await in_unit_of_work(ctx, body, now=now)


async def schedule_batch_runs(ctx: TaskContext) -> int:
    config = dispatch_config(ctx)
    now = utcnow()
    slot = to_epoch(now) // max(config.batch_every_s, 30)

    async def body(session: AsyncSession) -> int:
        regions = await batch.regions_with_open_work(session)
        for region in regions:
            await outbox.enqueue(
                session,
                BATCH_TASK,
                {"region": region, "trigger": "cron"},
                dedupe_key=f"batch:{region}:{slot}",
                now=now,
            )
        return len(regions)

    return await in_unit_of_work(ctx, body, now=now)


async def sweep_changes(ctx: TaskContext) -> int:
    config = dispatch_config(ctx)
    now = utcnow()

    async def body(session: AsyncSession) -> int:
        changes = await replan.changes_needing_replan(session, now=now, config=config)
        for change in changes:
            await outbox.enqueue(
                session,
                REPLAN_TASK,
                {
                    "technician_id": str(change.technician_id),
                    "reason": change.reason,
                    "release_all": change.release_all,
                },
                dedupe_key=change.dedupe_key[:200],
                now=now,
            )
            if change.region:
                await outbox.enqueue(
                    session,
                    BATCH_TASK,
                    {"region": change.region, "trigger": change.reason},
                    dedupe_key=f"batch:{change.region}:{change.dedupe_key}"[:200],
                    now=now,
                )
        return len(changes)

    return await in_unit_of_work(ctx, body, now=now)


async def expire_offers(ctx: TaskContext) -> int:
    """Pending offers past expiry -> expired, next round enqueued."""
    now = utcnow()

    async def body(session: AsyncSession) -> int:
        return await expire_due_offers(session, now=now)

    return await in_unit_of_work(ctx, body, now=now)


register(Periodic("dispatch.instant_sweep", sweep_urgent_orders, 30))
register(Periodic("offers.expire_sweep", expire_offers, 30))
register(Periodic("dispatch.replan_sweep", sweep_changes, 60))
register(Periodic("dispatch.batch_runs", schedule_batch_runs, 600))
register(Periodic("payouts.sweep_held", sweep_held_payouts, 600))
