from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from workers.context import TaskContext
from workers.registry import task


@task("notifications.send")
async def send(
    session: AsyncSession,
    ctx: TaskContext,
    *,
    now: datetime,
    dedupe_key: str,
    kind: str,
    subject: str,
    body: str = "",
    recipient_user_id: str | None = None,
    recipient_role: str | None = None,
    work_order_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """A notification queued as a task goes through the same notifier as every other one."""
    await DEFAULT_NOTIFIER.send(
        session,
        Message(
            dedupe_key=dedupe_key,
            kind=kind,
            subject=subject,
            body=body,
            recipient_user_id=uuid.UUID(recipient_user_id) if recipient_user_id else None,
            recipient_role=recipient_role,
            work_order_id=uuid.UUID(work_order_id) if work_order_id else None,
            data=data or {},
            webhook=False,
        ),
        now=now,
    )
