"""Periodic jobs, declared once and run by arq (cron) or by the in-process scheduler.

Each job takes the `TaskContext`, opens its own units of work and is safe to run twice or
concurrently on several workers (state in the database decides what is left to do).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from arq import cron
from arq.cron import CronJob as ArqCronJob

from marketplace.clock import utcnow
from marketplace.outbox import sweep_stuck
from workers.context import TaskContext
from workers.registry import load_all

log = logging.getLogger(__name__)

CronFn = Callable[[TaskContext], Awaitable[Any]]


@dataclass(frozen=True)
class Periodic:
    name: str
    run: CronFn
    every_s: int  # 30, 60 or a multiple of 60 that divides 3600


async def sweep_outbox(ctx: TaskContext) -> int:
    assert ctx.queue is not None
    return await sweep_stuck(
        ctx.session_factory, ctx.queue, now=utcnow(), stuck_after_s=ctx.settings.outbox_stuck_after_s
    )


PERIODIC: list[Periodic] = [
    Periodic("outbox.sweep", sweep_outbox, 30),
]


def register(job: Periodic) -> None:
    """Task modules add their periodic jobs here at import time."""
    if all(existing.name != job.name for existing in PERIODIC):
        PERIODIC.append(job)


def arq_cron_jobs(periodic: list[Periodic] | None = None) -> list[ArqCronJob]:
    """arq cron jobs for `periodic` (default: every registered job).

    `unique=True` makes each tick one job id (name plus the tick's time), so however many
    workers run, a tick is queued once. No `run_at_startup`: arq would name that run after
    the moment each worker started, so two workers starting together would both run it.
    """
    load_all()
    jobs = []
    for job in PERIODIC if periodic is None else periodic:

        async def run(ctx: dict[str, Any], _job: Periodic = job) -> Any:
            return await _job.run(ctx["fieldhand"])

        run.__qualname__ = run.__name__ = "cron_" + job.name.replace(".", "_")
        if job.every_s < 60:
            schedule: dict[str, Any] = {"second": set(range(0, 60, job.every_s))}
        else:
            minutes = job.every_s // 60
            schedule = {"minute": set(range(0, 60, minutes)), "second": 0}
        jobs.append(cron(run, name=job.name, unique=True, **schedule))
    return jobs


class InProcessScheduler:
    """Runs every periodic job on this event loop (for `make run` without Redis)."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        load_all()
        self._tasks = [asyncio.create_task(self._loop(job)) for job in PERIODIC]

    async def _loop(self, job: Periodic) -> None:
        while True:
            await asyncio.sleep(job.every_s)
            try:
                await job.run(self.ctx)
            except Exception:
                log.exception("periodic job failed", extra={"job": job.name})

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
