"""SLA monitor (periodic): alerts before a breach and on breach."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.dispatching.sla import SlaSweep, check_sla
from marketplace.timeutil import utcnow
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.registry import task
from workers.tasks._uow import dispatch_config, in_unit_of_work


async def monitor_sla(ctx: TaskContext) -> SlaSweep:
    config = dispatch_config(ctx)

    async def body(session: AsyncSession) -> SlaSweep:
        return await check_sla(session, now=utcnow(), config=config)

    return await in_unit_of_work(ctx, body)


@task("sla.check")
async def check(session: AsyncSession, ctx: TaskContext) -> None:
    """On-demand run of the monitor as an outbox task (same effect as the cron)."""
    await check_sla(session, now=utcnow(), config=dispatch_config(ctx))


register(Periodic("sla.monitor", monitor_sla, 60))
