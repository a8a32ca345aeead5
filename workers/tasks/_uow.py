"""Small helpers shared by the task modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment.config import DispatchConfig, load_config
from marketplace.db import unit_of_work
from marketplace.outbox import push_pending, take_pending
from workers.context import TaskContext

T = TypeVar("T")
CONFIG_KEY = "dispatch_config"


def dispatch_config(ctx: TaskContext) -> DispatchConfig:
    """One config per worker (from the environment; tests may put one in extras)."""
    config = ctx.extras.get(CONFIG_KEY)
    if config is None:
        config = load_config()
        ctx.extras[CONFIG_KEY] = config
    return config  # type: ignore[no-any-return]


async def in_unit_of_work(
    ctx: TaskContext, body: Callable[[AsyncSession], Awaitable[T]], *, now: datetime
) -> T:
    """Cron bodies: one transaction, then hand the tasks it enqueued to the queue.

    `now` is the instant the cron job read once when it started."""
    async with unit_of_work(ctx.session_factory) as session:
        result = await body(session)
        pending = take_pending(session)
    await push_pending(ctx.session_factory, ctx.queue, pending, now=now)
    return result
