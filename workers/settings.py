"""arq entry point: `arq workers.settings.WorkerSettings`.

Needs `FIELDHAND_REDIS_URL` and `FIELDHAND_DATABASE_URL`. Clients are built in `on_startup`;
tasks take ids and open their own unit of work (see `workers/runner.py`).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import httpx
from arq.connections import RedisSettings

from marketplace.live import RedisLiveBus
from marketplace.payments.stripe_gateway import build_gateway
from marketplace.settings import Settings
from marketplace.tracing import configure_tracing
from workers.bootstrap import build_context
from workers.crons import arq_cron_jobs
from workers.queue import ArqQueue
from workers.registry import load_all
from workers.runner import execute_task
from workers.tasks.payments import GATEWAY_KEY
from workers.tasks.reminders import HTTP_CLIENT_KEY


async def run_outbox_task(ctx: dict[str, Any], task_id: str) -> str:
    outcome = await execute_task(ctx["fieldhand"], uuid.UUID(task_id))
    return outcome.value


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("fieldhand_settings") or Settings()
    configure_tracing(settings.tracing, "fieldhand-worker")
    load_all()
    task_ctx = build_context(
        settings, ArqQueue(ctx["redis"], settings.queue_name), live=RedisLiveBus(ctx["redis"])
    )
    # the worker's long-lived clients, built once here rather than by the first task
    task_ctx.extras[GATEWAY_KEY] = build_gateway(settings)
    task_ctx.extras[HTTP_CLIENT_KEY] = httpx.AsyncClient()
    ctx["fieldhand"] = task_ctx


async def shutdown(ctx: dict[str, Any]) -> None:
    task_ctx = ctx.get("fieldhand")
    if task_ctx is not None:
        client = task_ctx.extras.get(HTTP_CLIENT_KEY)
        if client is not None:
            await client.aclose()
        await task_ctx.engine.dispose()


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError(
            "FIELDHAND_REDIS_URL is not set; without Redis, `make run` uses the in-process queue"
        )
    return RedisSettings.from_dsn(settings.redis_url)


class WorkerSettings:
    functions: ClassVar[list[Any]] = [run_outbox_task]
    cron_jobs: ClassVar[list[Any]] = arq_cron_jobs()
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 8
    job_timeout = 300
    # an idle worker looks at the queue every 50 ms (arq's default is 500 ms): an urgent
    # escalation's first offer should not wait half a second for the worker to notice it
    poll_delay = 0.05
    queue_name = Settings().queue_name
    redis_settings = redis_settings(Settings()) if Settings().redis_url else RedisSettings()
