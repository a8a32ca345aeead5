"""Offer rounds: ask the next technicians when a round closes (expiry runs as `offers.expire_sweep`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment.next_round import offer_next_round
from workers.context import TaskContext
from workers.registry import task


@task("offers.next_round")
async def next_round(session: AsyncSession, ctx: TaskContext, *, now: datetime, work_order_id: str) -> None:
    await offer_next_round(session, uuid.UUID(work_order_id), now=now)
