"""Deliver queued e-mails and SMS (`messages.deliver`); see `marketplace/messages/service.py`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.messages.channels import Channels, build_channels
from marketplace.messages.service import DELIVER_TASK, deliver
from workers.context import TaskContext
from workers.registry import task

CHANNELS_KEY = "message_channels"


def channels(ctx: TaskContext) -> Channels:
    """Senders built once per worker from `FIELDHAND_SMTP_*` (tests may put their own in extras)."""
    built = ctx.extras.get(CHANNELS_KEY)
    if built is None:
        built = build_channels()
        ctx.extras[CHANNELS_KEY] = built
    return built  # type: ignore[no-any-return]


@task(DELIVER_TASK)
async def deliver_message(session: AsyncSession, ctx: TaskContext, *, now: datetime, message_id: str) -> None:
    await deliver(session, uuid.UUID(message_id), now=now, channels=channels(ctx))
