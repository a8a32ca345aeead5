"""Technician availability upkeep."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.technicians.shifts import expand_all_templates
from workers.context import TaskContext
from workers.registry import task


@task("technicians.expand_shift_templates")
async def expand_shift_templates(session: AsyncSession, ctx: TaskContext) -> None:
    """Meant for a daily cron: keep 14 days of template shifts materialised."""
    await expand_all_templates(session)
