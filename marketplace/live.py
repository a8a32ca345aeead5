"""Live changes: what open pages (the console's alerts, a customer's tracking card) should
read again, told to every API process.

A write notes what it changed on its session (`note_change`: a topic such as
`order:<id>`). ORM writes to work orders, their events, appointments and technicians are
noted by a flush listener, so no service has to remember; writes that bypass the ORM (bulk
statements) note their topic themselves. The edge that commits the session (a request, a
task) takes the notes after the commit (`take_changes`) and publishes them on a `LiveBus`:
Redis pub/sub when Redis is configured, so every API process hears every change, or the
process itself otherwise. A
note is a nudge, never the data: listeners read the database again, so a message that is
lost (pub/sub does not queue) or repeated costs at most one fallback re-read, and what a
page shows never comes from the bus.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

CHANNEL = "fieldhand:live"
_NOTES = "live_changes"

log = logging.getLogger(__name__)


def order_topic(order_id: uuid.UUID | str) -> str:
    return f"order:{order_id}"


def technician_topic(technician_id: uuid.UUID | str) -> str:
    return f"technician:{technician_id}"


def notification_topic(kind: str) -> str:
    return f"notification:{kind}"


def note_change(session: AsyncSession | Session, topic: str) -> None:
    """Remember that this transaction changed what `topic`'s listeners show."""
    notes: set[str] = session.info.setdefault(_NOTES, set())
    notes.add(topic)


# table -> the topic of a row written through the ORM
_TOPIC_OF_ROW: dict[str, Callable[[Any], str]] = {
    "work_orders": lambda row: order_topic(row.id),
    "work_order_events": lambda row: order_topic(row.work_order_id),
    "appointments": lambda row: order_topic(row.work_order_id),
    "technicians": lambda row: technician_topic(row.id),
}


@event.listens_for(Session, "before_flush")
def _note_flushed(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        topic = _TOPIC_OF_ROW.get(getattr(row, "__tablename__", ""))
        if topic is not None and (row in session.new or session.is_modified(row)):
            note_change(session, topic(row))


def take_changes(session: AsyncSession) -> list[str]:
    """The topics noted on `session`; call once its transaction has committed."""
    return sorted(session.info.pop(_NOTES, set()))


def encode(topics: Sequence[str]) -> str:
    return json.dumps(list(topics))


def decode(message: Any) -> list[str]:
    """Topics from a pub/sub payload; anything else on the channel is ignored."""
    try:
        topics = json.loads(message)
    except (TypeError, ValueError):
        return []
    return [t for t in topics if isinstance(t, str)] if isinstance(topics, list) else []


class LiveBus(Protocol):
    async def publish(self, topics: Sequence[str]) -> None: ...


class RedisLiveBus:
    """Publishes on the Redis channel every API process listens to."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def publish(self, topics: Sequence[str]) -> None:
        if topics:
            await self._redis.publish(CHANNEL, encode(topics))


class LocalLiveBus:
    """One process without Redis: hands the topics straight to its listener."""

    def __init__(self, deliver: Callable[[Sequence[str]], None]) -> None:
        self._deliver = deliver

    async def publish(self, topics: Sequence[str]) -> None:
        if topics:
            self._deliver(topics)


async def publish_changes(bus: LiveBus | None, session: AsyncSession) -> None:
    """After a commit: tell listeners what changed. The commit stands whatever happens here;
    listeners that miss a message catch up on their fallback re-read."""
    topics = take_changes(session)
    if bus is None or not topics:
        return
    try:
        await bus.publish(topics)
    except Exception:  # a nudge lost is a page updated at the listener's next fallback read
        log.warning("live change not published", exc_info=True, extra={"topics": topics[:10]})
