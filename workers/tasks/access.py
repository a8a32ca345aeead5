"""Send a new work order's customer their sign-in link (`access.send_order_link`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.access.customers import send_order_link
from marketplace.access.models import SEND_ORDER_LINK_TASK
from workers.context import TaskContext
from workers.registry import task


@task(SEND_ORDER_LINK_TASK)
async def send_link(session: AsyncSession, ctx: TaskContext, *, now: datetime, work_order_id: str) -> None:
    await send_order_link(session, ctx.settings, uuid.UUID(work_order_id), now=now)
