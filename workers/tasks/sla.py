"""SLA monitor (periodic): alerts before a breach and on breach."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment.sla import SlaSweep, check_sla
from marketplace.clock import utcnow
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.registry import task
from workers.tasks._uow import dispatch_config, in_unit_of_work


async def monitor_sla(ctx: TaskContext) -> SlaSweep:
    config = dispatch_config(ctx)
    now = utcnow()

    async def body(session: AsyncSession) -> SlaSweep:
        return await check_sla(session, now=now, config=config)

    return await in_unit_of_work(ctx, body, now=now)


@task("sla.check")
async def check(session: AsyncSession, ctx: TaskContext, *, now: datetime) -> None:
    """On-demand run of the monitor as an outbox task (same effect as the cron)."""
    await check_sla(session, now=now, config=dispatch_config(ctx))


register(Periodic("sla.monitor", monitor_sla, 60))
