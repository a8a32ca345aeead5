"""Transactional outbox.

A business change and the tasks it implies are written in one transaction (`enqueue`).
After that transaction commits, the owner of the unit of work hands the new rows to the
`TaskQueue` (`push_pending`). A cron sweeper pushes again whatever was not pushed (crash
between commit and push, Redis down). The task runner (`workers/`) executes a row at most
once to completion: its effects and the row's `done` mark commit together, so arq's
at-least-once delivery cannot double an effect.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel, col, select

from marketplace.db import created_at_field, id_field, json_field, time_field
from marketplace.logs import request_id_var
from marketplace.tracing import current_trace_context

log = logging.getLogger(__name__)

SESSION_PENDING_KEY = "fieldhand.outbox.pending"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # committed, not yet handed to the queue
    PUSHED = "pushed"  # handed to the queue
    DONE = "done"
    FAILED = "failed"  # gave up after max attempts


class OutboxTask(SQLModel, table=True):
    __tablename__ = "outbox_tasks"
    __table_args__ = (sa.Index("ix_outbox_tasks_status_available", "status", "available_at"),)

    id: uuid.UUID = id_field()
    name: str = Field(max_length=100)
    args: dict[str, Any] = json_field(dict)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    attempts: int = Field(default=0)
    available_at: datetime = created_at_field()
    created_at: datetime = created_at_field()
    pushed_at: datetime | None = time_field()
    done_at: datetime | None = time_field()
    last_error: str | None = Field(default=None, max_length=2000)
    # Where the task came from, so its logs and trace continue the request's.
    request_id: str | None = Field(default=None, max_length=100)
    trace_context: str | None = Field(default=None, max_length=200)


class TaskQueue(Protocol):
    """Where committed outbox rows go: arq on Redis, or the in-process runner."""

    async def push(self, task_id: uuid.UUID, *, defer_until: datetime | None = None) -> None: ...


async def enqueue(
    session: AsyncSession,
    name: str,
    args: dict[str, Any] | None = None,
    *,
    now: datetime,
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
) -> OutboxTask:
    """Record a task in the caller's transaction; it runs only if that transaction commits.

    With a `dedupe_key`, asking twice for the same task yields the existing row.
    """
    if dedupe_key is not None:
        existing = (
            await session.execute(select(OutboxTask).where(OutboxTask.dedupe_key == dedupe_key))
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    task = OutboxTask(
        name=name,
        args=args or {},
        dedupe_key=dedupe_key,
        available_at=run_at or now,
        created_at=now,
        request_id=request_id_var.get(),
        trace_context=current_trace_context(),
    )
    session.add(task)
    await session.flush()
    session.info.setdefault(SESSION_PENDING_KEY, []).append((task.id, task.available_at))
    return task


def take_pending(session: AsyncSession) -> list[tuple[uuid.UUID, datetime]]:
    """The rows this session enqueued; call after commit and hand them to `push_pending`."""
    return session.info.pop(SESSION_PENDING_KEY, [])


async def push_pending(
    factory: async_sessionmaker[AsyncSession],
    queue: TaskQueue | None,
    pending: list[tuple[uuid.UUID, datetime]],
    *,
    now: datetime,
) -> None:
    """Mark committed rows pushed, then hand them to the queue.

    Marking first (in its own short transaction) means the runner never finds the row
    locked by our bookkeeping; if the process dies between the mark and the push, the
    sweeper re-pushes rows that stayed PUSHED without finishing. Push failures are left
    to the sweeper too: the request that wrote the rows has already committed.
    """
    if queue is None or not pending:
        return
    async with factory() as session:
        await session.execute(
            sa.update(OutboxTask)
            .where(col(OutboxTask.id).in_([task_id for task_id, _ in pending]))
            .where(col(OutboxTask.status) == OutboxStatus.PENDING)
            .values(status=OutboxStatus.PUSHED, pushed_at=now)
        )
        await session.commit()
    for task_id, available_at in pending:
        try:
            await queue.push(task_id, defer_until=available_at if available_at > now else None)
        except Exception:  # the sweeper will retry; never fail the request that already committed
            log.warning("outbox push failed; sweeper will retry", extra={"task_id": str(task_id)})


async def sweep_stuck(
    factory: async_sessionmaker[AsyncSession],
    queue: TaskQueue,
    *,
    now: datetime,
    stuck_after_s: int,
    limit: int = 500,
) -> int:
    """Push again rows that are due and were never pushed, or pushed long ago and never finished."""
    threshold = now - timedelta(seconds=stuck_after_s)
    async with factory() as session:
        rows = (
            await session.execute(
                select(OutboxTask.id, OutboxTask.available_at, OutboxTask.status)
                .where(
                    sa.or_(
                        sa.and_(
                            col(OutboxTask.status) == OutboxStatus.PENDING,
                            col(OutboxTask.available_at) <= now,
                            col(OutboxTask.created_at) <= threshold,
                        ),
                        sa.and_(
                            col(OutboxTask.status) == OutboxStatus.PUSHED,
                            col(OutboxTask.pushed_at) <= threshold,
                            col(OutboxTask.available_at) <= threshold,
                        ),
                    )
                )
                .order_by(col(OutboxTask.available_at))
                .limit(limit)
            )
        ).all()
    if rows:
        async with factory() as session:  # PUSHED rows: restart their clock before pushing again
            await session.execute(
                sa.update(OutboxTask)
                .where(col(OutboxTask.id).in_([row[0] for row in rows]))
                .where(col(OutboxTask.status) == OutboxStatus.PUSHED)
                .values(pushed_at=now)
            )
            await session.commit()
    await push_pending(factory, queue, [(row[0], row[1]) for row in rows], now=now)
    for row in rows:  # rows that were already PUSHED are not re-pushed by push_pending
        if row[2] == OutboxStatus.PUSHED:
            try:
                await queue.push(row[0])
            except Exception:
                log.warning("outbox re-push failed", extra={"task_id": str(row[0])})
    return len(rows)


async def backlog(session: AsyncSession) -> dict[str, tuple[int, datetime | None]]:
    """Tasks not yet done, by status (pending, pushed): how many, and the oldest one's age."""
    query = (
        select(col(OutboxTask.status), sa.func.count(), sa.func.min(col(OutboxTask.created_at)))
        .where(col(OutboxTask.status).in_([OutboxStatus.PENDING, OutboxStatus.PUSHED]))
        .group_by(col(OutboxTask.status))
    )
    rows = (await session.execute(query)).all()
    return {str(status): (int(count), oldest) for status, count, oldest in rows}
