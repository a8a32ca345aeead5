"""Technician availability upkeep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.outbox import push_pending, take_pending
from marketplace.technicians.shifts import expand_all_templates
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.registry import task


@task("technicians.expand_shift_templates")
async def expand_shift_templates(session: AsyncSession, ctx: TaskContext, *, now: datetime) -> None:
    """Meant for a daily cron: keep 14 days of template shifts materialised."""
    await expand_all_templates(session, now=now)


async def schedule_template_expansion(ctx: TaskContext) -> None:
    """Hourly: queue one expansion per hour (dedupe key), run through the outbox like any task."""
    now = utcnow()
    async with unit_of_work(ctx.session_factory) as session:
        stamp = now.strftime("%Y%m%d%H")
        await outbox.enqueue(
            session, "technicians.expand_shift_templates", {}, dedupe_key=f"expand-shifts:{stamp}", now=now
        )
        pending = take_pending(session)
    await push_pending(ctx.session_factory, ctx.queue, pending, now=now)


register(Periodic("technicians.expand_templates", schedule_template_expansion, 3600))
