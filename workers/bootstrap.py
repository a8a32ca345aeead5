"""Build the task context from settings (arq start-up and the in-process runner share it)."""

from __future__ import annotations

from marketplace.db import make_engine, make_session_factory
from marketplace.live import LiveBus
from marketplace.outbox import TaskQueue
from marketplace.settings import Settings
from workers.context import TaskContext


def build_context(settings: Settings, queue: TaskQueue | None, live: LiveBus | None = None) -> TaskContext:
    engine = make_engine(settings)
    return TaskContext(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        queue=queue,
        live=live,
    )
