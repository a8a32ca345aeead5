"""Execute one outbox row: the same code path under arq and under the in-process queue.

The row is locked (`SELECT ... FOR UPDATE` on PostgreSQL) so two deliveries of the same
task cannot run at once: the second waits for the first and then finds the row done. The
handler's writes and the row's `done` mark commit together, so a delivery after success is
a no-op. (A non-blocking SKIP LOCKED would drop a delivery whenever any other transaction
touched the row at that moment, leaving the task to the sweeper.) External effects
(Stripe) carry idempotency keys derived from row ids, so a crash between the external call
and our commit is safe too.

A handler that cannot finish *yet* raises `marketplace.errors.TryLater` (a gateway's
transient error, a payout still on hold); the runner turns it into a retry after the
error's own delay or the backoff for this attempt (`current_attempt()`), and records why.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextvars import ContextVar
from enum import StrEnum

from arq import Retry
from sqlmodel import select

from marketplace.clock import utcnow
from marketplace.db_dialect import supports_row_locks
from marketplace.errors import TryLater
from marketplace.live import publish_changes
from marketplace.logs import request_id_var
from marketplace.metrics import TASK_DURATION, TASK_FAILURES
from marketplace.outbox import OutboxStatus, OutboxTask, push_pending, take_pending
from marketplace.tracing import task_span
from workers.context import TaskContext
from workers.registry import handler_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class RunOutcome(StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"
    MISSING = "missing"


# The attempt now running (1 for the first), for a task that wants to say so or act on it.
current_attempt_var: ContextVar[int] = ContextVar("task_attempt", default=1)


def current_attempt() -> int:
    return current_attempt_var.get()


def backoff_s(attempt: int) -> int:
    return min(5 * 2 ** max(attempt - 1, 0), 600)


async def execute_task(ctx: TaskContext, task_id: uuid.UUID) -> RunOutcome:
    token = request_id_var.set(None)
    try:
        return await _execute(ctx, task_id)
    finally:
        request_id_var.reset(token)


async def _execute(ctx: TaskContext, task_id: uuid.UUID) -> RunOutcome:
    async with ctx.session_factory() as session:
        query = select(OutboxTask).where(OutboxTask.id == task_id)
        if supports_row_locks(session):
            query = query.with_for_update()
        row = (await session.execute(query)).scalar_one_or_none()
        if row is None:
            return RunOutcome.MISSING
        if row.status in (OutboxStatus.DONE, OutboxStatus.FAILED):
            return RunOutcome.ALREADY_DONE
        name, args, attempt = row.name, dict(row.args), row.attempts + 1
        now = utcnow()  # the task's one reading of the clock
        started = time.perf_counter()
        request_id_var.set(row.request_id)  # the queueing request's id, on every log line of the task
        span = task_span(name, task_id=str(task_id), attempt=attempt, trace_context=row.trace_context)
        current_attempt_var.set(attempt)  # each execution runs in its own asyncio task's context
        try:
            with span:
                try:
                    await handler_for(name)(session, ctx, now=now, **args)
                except TryLater as later:
                    delay = later.retry_after_s if later.retry_after_s is not None else backoff_s(attempt)
                    raise Retry(defer=max(1, round(delay))) from later
            row.status = OutboxStatus.DONE
            row.done_at = now
            row.attempts = attempt
            await session.commit()
            TASK_DURATION.labels(name, "done").observe(time.perf_counter() - started)
        except Retry as retry:
            await session.rollback()
            TASK_DURATION.labels(name, "retry").observe(time.perf_counter() - started)
            TASK_FAILURES.labels(name, "true").inc()
            cause = retry.__cause__
            reason = f"retry requested: {type(cause).__name__}: {cause}" if cause else "retry requested"
            await _record_failure(ctx, task_id, attempt, reason, give_up=False)
            raise
        except Exception as exc:
            await session.rollback()
            give_up = attempt >= MAX_ATTEMPTS
            elapsed = time.perf_counter() - started
            TASK_DURATION.labels(name, "failed" if give_up else "retry").observe(elapsed)
            TASK_FAILURES.labels(name, "false" if give_up else "true").inc()
            await _record_failure(ctx, task_id, attempt, f"{type(exc).__name__}: {exc}", give_up=give_up)
            log.exception("task failed", extra={"task": name, "task_id": str(task_id), "attempt": attempt})
            if give_up:
                return RunOutcome.DONE
            raise Retry(defer=backoff_s(attempt)) from exc
        await push_pending(ctx.session_factory, ctx.queue, take_pending(session), now=now)
        await publish_changes(ctx.live, session)
        log.info("task done", extra={"task": name, "task_id": str(task_id), "attempt": attempt})
        return RunOutcome.DONE


async def _record_failure(
    ctx: TaskContext, task_id: uuid.UUID, attempt: int, error: str, *, give_up: bool
) -> None:
    async with ctx.session_factory() as session:
        row = await session.get(OutboxTask, task_id)
        if row is None or row.status == OutboxStatus.DONE:
            return
        row.attempts = attempt
        row.last_error = error[:2000]
        if give_up:
            row.status = OutboxStatus.FAILED
        await session.commit()
