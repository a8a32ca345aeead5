"""Notifier: records a notification once (by dedupe key) and logs it.

Outgoing channels (signed helpdesk webhooks, push) hang off the same call later.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.db_dialect import insert_ignoring_conflicts
from marketplace.live import note_change, notification_topic
from marketplace.notifications.models import Notification
from marketplace.notifications.repository import notifications_since as notifications_since

log = logging.getLogger(__name__)


async def send_notification(
    session: AsyncSession,
    *,
    dedupe_key: str,
    kind: str,
    subject: str,
    body: str = "",
    recipient_user_id: uuid.UUID | None = None,
    recipient_role: str | None = None,
    work_order_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """True when this call sent it; False when the same dedupe key was already sent."""
    inserted = await insert_ignoring_conflicts(
        session,
        Notification,
        {
            "id": uuid.uuid4(),
            "dedupe_key": dedupe_key,
            "kind": kind,
            "subject": subject,
            "body": body,
            "recipient_user_id": recipient_user_id,
            "recipient_role": recipient_role,
            "work_order_id": work_order_id,
            "data": data or {},
        },
        conflict_columns=["dedupe_key"],
    )
    if inserted:
        note_change(session, notification_topic(kind))
        log.info("notification", extra={"kind": kind, "subject": subject, "dedupe_key": dedupe_key})
    return inserted
