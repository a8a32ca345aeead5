"""Queues that carry committed outbox rows to `execute_task`.

`ArqQueue` pushes to Redis for separate `arq workers.settings.WorkerSettings` processes.
`InProcessQueue` runs the same function on this event loop, for `make run` without Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime

from arq import ArqRedis, Retry

from marketplace.clock import utcnow
from workers.context import TaskContext
from workers.runner import execute_task

log = logging.getLogger(__name__)

RUN_OUTBOX_TASK = "run_outbox_task"


class ArqQueue:
    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name

    async def push(self, task_id: uuid.UUID, *, defer_until: datetime | None = None) -> None:
        # The job id is a cheap de-duplication only; correctness comes from the outbox row.
        stamp = int(utcnow().timestamp())
        await self.redis.enqueue_job(
            RUN_OUTBOX_TASK,
            str(task_id),
            _job_id=f"outbox:{task_id}:{stamp}",
            _queue_name=self.queue_name,
            _defer_until=defer_until,
        )


class InProcessQueue:
    """Runs tasks as asyncio tasks with the same retry policy as arq."""

    def __init__(self, max_tries: int = 8) -> None:
        self.ctx: TaskContext | None = None
        self.max_tries = max_tries
        self._running: set[asyncio.Task[None]] = set()

    def bind(self, ctx: TaskContext) -> None:
        self.ctx = ctx

    async def push(self, task_id: uuid.UUID, *, defer_until: datetime | None = None) -> None:
        delay = 0.0 if defer_until is None else max((defer_until - utcnow()).total_seconds(), 0.0)
        job = asyncio.create_task(self._run(task_id, delay))
        self._running.add(job)
        job.add_done_callback(self._running.discard)

    async def _run(self, task_id: uuid.UUID, delay: float) -> None:
        assert self.ctx is not None, "InProcessQueue.bind(ctx) was not called"
        for attempt in range(1, self.max_tries + 1):
            if delay:
                await asyncio.sleep(delay)
            try:
                await execute_task(self.ctx, task_id)
                return
            except Retry as retry:
                delay = retry.defer_score / 1000 if retry.defer_score else 1.0
            except Exception:
                log.exception("in-process task crashed", extra={"task_id": str(task_id), "attempt": attempt})
                delay = 1.0

    async def drain(self, within_s: float = 30.0) -> None:
        """Wait for every queued task, including tasks they queue (tests, shutdown).

        Works from another thread's event loop too (the test client runs the app in its own
        thread), so it polls instead of awaiting tasks that belong to the app's loop.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        # The tasks live on another thread's loop, so no Event of ours can be awaited here.
        while loop.time() < deadline and any(not job.done() for job in list(self._running)):  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        for job in list(self._running):
            job.cancel()
        for job in list(self._running):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job
