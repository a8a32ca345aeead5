"""Live SLA alerts for open console pages (server-sent events).

One reader per process reads new alert notifications from the database when the live hub
says an alert kind was written (by any API process or worker: `api/web/live.py`), and at
least every `live_fallback_s`, and fans them out in memory to every open page of that
process. The rows in the shared database are what is shown; the hub only says when to look.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar.response.sse import ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.web.live import LiveHub
from marketplace.assignment.console import ALERT_KINDS
from marketplace.clock import utcnow
from marketplace.live import notification_topic
from marketplace.notifications.service import notifications_since

OVERLAP = timedelta(minutes=2)  # rows committed late with an earlier created_at still show up
HEARTBEAT_S = 15.0


class AlertFeed:
    def __init__(
        self, factory: async_sessionmaker[AsyncSession], hub: LiveHub, *, started_at: datetime
    ) -> None:
        self._factory = factory
        self._hub = hub
        self._cursor = started_at
        self._seen: dict[str, datetime] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=200)
        self._subscribers.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    async def _run(self) -> None:
        topics = [notification_topic(kind) for kind in ALERT_KINDS]
        while self._subscribers:
            with self._hub.watching(topics) as written:
                with contextlib.suppress(Exception):  # a failed read is retried on the next wake
                    for alert in await self._poll():
                        for queue in list(self._subscribers):
                            with contextlib.suppress(asyncio.QueueFull):
                                queue.put_nowait(alert)
                await self._hub.wait(written)

    async def _poll(self) -> list[dict[str, Any]]:
        since = self._cursor - OVERLAP
        async with self._factory() as session:
            rows = await notifications_since(session, ALERT_KINDS, since)
        fresh = []
        for n in rows:
            key = str(n.id)
            if key in self._seen:
                continue
            self._seen[key] = n.created_at
            self._cursor = max(self._cursor, n.created_at)
            fresh.append(
                {
                    "id": key,
                    "kind": n.kind,
                    "subject": n.subject,
                    "work_order_id": str(n.work_order_id) if n.work_order_id else None,
                    "created_at": n.created_at.isoformat(),
                }
            )
        horizon = self._cursor - OVERLAP
        self._seen = {k: at for k, at in self._seen.items() if at > horizon}
        return fresh


def feed_of(state: Any) -> AlertFeed:
    feed = getattr(state, "console_alert_feed", None)
    if feed is None:
        feed = AlertFeed(state.session_factory, state.live_hub, started_at=utcnow())
        state.console_alert_feed = feed
    return feed


async def alert_stream(feed: AlertFeed) -> AsyncGenerator[ServerSentEventMessage, None]:
    queue = feed.subscribe()
    try:
        yield ServerSentEventMessage(event="ready", data="{}", retry=3000)
        while True:
            try:
                alert = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            yield ServerSentEventMessage(
                event="alert", data=msgspec.json.encode(alert).decode(), id=alert["id"]
            )
    finally:
        feed.unsubscribe(queue)
