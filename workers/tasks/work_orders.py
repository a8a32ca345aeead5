"""Dispatch requests for work orders (expedite): rank qualified technicians now."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment.expedite import rank_for_dispatch_request
from workers.context import TaskContext
from workers.registry import task


@task("work_orders.dispatch_requested")
async def dispatch_requested(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, work_order_id: str, reason: str
) -> None:
    await rank_for_dispatch_request(session, uuid.UUID(work_order_id), reason=reason, now=now)
