"""Periodic jobs run once per tick, however many arq workers run side by side."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from tests.conftest import REDIS_URL
from workers.context import TaskContext
from workers.crons import Periodic, arq_cron_jobs


async def test_three_workers_run_each_tick_of_a_periodic_job_once(queue_name: str, empty_queue: None) -> None:
    runs: list[float] = []

    async def tick(ctx: TaskContext) -> None:
        runs.append(time.time())  # ticks are on whole seconds; a run starts just after its tick

    job = Periodic("test.every_second", tick, 1)
    workers = [
        Worker(
            functions=[],
            cron_jobs=arq_cron_jobs([job]),
            redis_settings=RedisSettings.from_dsn(REDIS_URL),
            queue_name=f"{queue_name}:periodic",
            ctx={"fieldhand": None},
            poll_delay=0.05,
            handle_signals=False,
        )
        for _ in range(3)
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]
    await asyncio.sleep(5.5)
    for w in workers:
        await w.close()
    for t in tasks:
        t.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await t
    per_second: Any = Counter(int(at) for at in runs)
    assert len(runs) >= 3, runs  # it did run on most ticks
    assert max(per_second.values()) == 1, per_second  # never twice in one tick
