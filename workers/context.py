"""What every task receives: settings, a session factory, the queue for follow-up tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from marketplace.live import LiveBus
from marketplace.outbox import TaskQueue
from marketplace.settings import Settings


@dataclass
class TaskContext:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    queue: TaskQueue | None = None
    live: LiveBus | None = None  # where committed changes are announced to live pages
    extras: dict[str, Any] = field(default_factory=dict)  # clients built at start-up (Stripe, HTTP)
