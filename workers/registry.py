"""Name -> coroutine for outbox tasks. Task modules register themselves on import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from workers.context import TaskContext

TaskHandler = Callable[..., Awaitable[Any]]
_HANDLERS: dict[str, TaskHandler] = {}


def task(name: str) -> Callable[[TaskHandler], TaskHandler]:
    """Register `async def handler(session, ctx, *, now, **args)` under `name`.

    The handler runs inside the runner's transaction and must not commit. `now` is the
    instant the runner read once for this execution; the handler passes it down.
    """

    def register(handler: TaskHandler) -> TaskHandler:
        if name in _HANDLERS and _HANDLERS[name] is not handler:
            raise RuntimeError(f"task {name!r} registered twice")
        _HANDLERS[name] = handler
        return handler

    return register


def handler_for(name: str) -> TaskHandler:
    load_all()
    try:
        return _HANDLERS[name]
    except KeyError:
        raise LookupError(f"no task handler named {name!r}") from None


def registered_names() -> list[str]:
    load_all()
    return sorted(_HANDLERS)


def load_all() -> None:
    # the task modules register themselves with this module as they are imported
    import workers.tasks  # noqa: F401, PLC0415


__all__ = ["AsyncSession", "TaskContext", "handler_for", "registered_names", "task"]
