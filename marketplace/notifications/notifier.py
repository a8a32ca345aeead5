"""The one notification path: one call per message, idempotent by its dedupe key.

The default `LogAndWebhookNotifier` writes the in-app notification (which logs it) and,
the first time only, enqueues a signed outgoing webhook (`notifications.webhook` task; it
does nothing when no helpdesk URL is configured) and composes the `outgoing` message to
the customer or technician (inbox, e-mail, SMS: `marketplace/messages`). All of it happens
in the caller's transaction, so a task that rolls back sends nothing and a task that runs
twice sends once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.messages.service import Outgoing, compose
from marketplace.notifications.repository import customer_user_id as customer_user_id
from marketplace.notifications.repository import technician_user_id as technician_user_id
from marketplace.notifications.service import send_notification

WEBHOOK_TASK = "notifications.webhook"


@dataclass(frozen=True, slots=True)
class Message:
    dedupe_key: str
    kind: str
    subject: str
    body: str = ""
    recipient_user_id: uuid.UUID | None = None
    recipient_role: str | None = None
    work_order_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    webhook: bool = True  # mirror to the helpdesk
    outgoing: Outgoing | None = None  # also tell the person on their channels


class Notifier(Protocol):
    async def send(self, session: AsyncSession, message: Message, *, now: datetime) -> bool:
        """True when this call sent the message, False when it was already sent."""
        ...


class LogAndWebhookNotifier:
    async def send(self, session: AsyncSession, message: Message, *, now: datetime) -> bool:
        sent = await send_notification(
            session,
            dedupe_key=message.dedupe_key,
            kind=message.kind,
            subject=message.subject[:300],
            body=message.body[:4000],
            recipient_user_id=message.recipient_user_id,
            recipient_role=message.recipient_role,
            work_order_id=message.work_order_id,
            data=message.data,
        )
        if sent and message.webhook:
            await outbox.enqueue(
                session,
                WEBHOOK_TASK,
                {
                    "event_id": message.dedupe_key,
                    "payload": {
                        "type": message.kind,
                        "subject": message.subject,
                        "body": message.body,
                        "recipient_role": message.recipient_role,
                        "work_order_id": str(message.work_order_id) if message.work_order_id else None,
                        "data": message.data,
                    },
                },
                dedupe_key=f"webhook:{message.dedupe_key}"[:200],
                now=now,
            )
        if sent and message.outgoing is not None:
            outgoing = message.outgoing
            if outgoing.work_order_id is None:
                outgoing = replace(outgoing, work_order_id=message.work_order_id)
            await compose(session, outgoing, dedupe_key=message.dedupe_key)
        return sent


DEFAULT_NOTIFIER: Notifier = LogAndWebhookNotifier()
