"""Reminders, "on the way" messages and signed outgoing webhooks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment.reminders import ReminderSweep, send_reminders
from marketplace.clock import utcnow
from marketplace.notifications.notifier import WEBHOOK_TASK
from marketplace.notifications.webhooks import (
    PermanentWebhookError,
    TransientWebhookError,
    WebhookConfig,
    send_webhook,
)
from marketplace.timeutil import to_epoch
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.registry import task
from workers.runner import current_attempt
from workers.tasks._uow import dispatch_config, in_unit_of_work

log = logging.getLogger(__name__)
WEBHOOK_CONFIG_KEY = "webhook_config"
HTTP_CLIENT_KEY = "webhook_http_client"


def webhook_config(ctx: TaskContext) -> WebhookConfig:
    config = ctx.extras.get(WEBHOOK_CONFIG_KEY)
    if config is None:
        config = WebhookConfig()
        ctx.extras[WEBHOOK_CONFIG_KEY] = config
    return config  # type: ignore[no-any-return]


def http_client(ctx: TaskContext) -> httpx.AsyncClient:
    client = ctx.extras.get(HTTP_CLIENT_KEY)
    if client is None or client.is_closed:
        client = httpx.AsyncClient()
        ctx.extras[HTTP_CLIENT_KEY] = client
    return client  # type: ignore[no-any-return]


@task(WEBHOOK_TASK)
async def deliver_webhook(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, event_id: str, payload: dict[str, Any]
) -> None:
    """POST the signed event; transient failures retry with exponential backoff."""
    try:
        await send_webhook(
            http_client(ctx), webhook_config(ctx), event_id=event_id, payload=payload, now=to_epoch(now)
        )
    except TransientWebhookError as exc:
        log.warning(
            "webhook delivery failed; retrying",
            extra={"event_id": event_id, "error": str(exc), "attempt": current_attempt()},
        )
        raise
    except PermanentWebhookError as exc:
        log.error("webhook refused; not retrying", extra={"event_id": event_id, "error": str(exc)})


async def remind(ctx: TaskContext) -> ReminderSweep:
    config = dispatch_config(ctx)
    now = utcnow()

    async def body(session: AsyncSession) -> ReminderSweep:
        return await send_reminders(session, now=now, config=config)

    return await in_unit_of_work(ctx, body, now=now)


register(Periodic("reminders.send", remind, 60))
