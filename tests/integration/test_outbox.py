"""Outbox tasks run through a real arq worker on real Redis and through the in-process runner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from marketplace import outbox
from marketplace.clock import utcnow
from marketplace.notifications.models import Notification
from marketplace.outbox import OutboxStatus, OutboxTask
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.conftest import REDIS_URL
from tests.factories import Factory
from workers.context import TaskContext
from workers.queue import ArqQueue
from workers.runner import RunOutcome, execute_task
from workers.settings import WorkerSettings, run_outbox_task, shutdown, startup


async def _notifications(factory: async_sessionmaker[AsyncSession]) -> list[Notification]:
    async with factory() as session:
        return list((await session.execute(sa.select(Notification))).scalars())


async def _outbox_rows(factory: async_sessionmaker[AsyncSession]) -> list[OutboxTask]:
    async with factory() as session:
        return list((await session.execute(sa.select(OutboxTask))).scalars())


async def test_in_process_runner_executes_committed_task(
    app: Litestar,
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    admin = await factory.login(Role.ADMIN)
    response = await client.post(
        "/skills", json={"code": "hvac.repair", "name": "HVAC repair"}, headers=admin.headers
    )
    assert response.status_code == 201
    await app.state.queue.drain()
    notes = await _notifications(session_factory)
    assert [n.dedupe_key for n in notes] == ["skill-added:hvac.repair"]
    rows = await _outbox_rows(session_factory)
    assert [r.status for r in rows] == [OutboxStatus.DONE]


async def test_rolled_back_request_leaves_no_task(
    app: Litestar,
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    admin = await factory.login(Role.ADMIN)
    await client.post("/skills", json={"code": "plumb.leak", "name": "Leaks"}, headers=admin.headers)
    await app.state.queue.drain()
    duplicate = await client.post(
        "/skills", json={"code": "plumb.leak", "name": "Leaks"}, headers=admin.headers
    )
    assert duplicate.status_code == 409
    assert len(await _outbox_rows(session_factory)) == 1


async def test_task_run_twice_has_the_effect_of_once(
    settings: Settings, engine: object, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session:
        task = await outbox.enqueue(
            session,
            "notifications.send",
            {"dedupe_key": "twice", "kind": "test", "subject": "hello"},
            now=utcnow(),
        )
        await session.commit()
    ctx = TaskContext(settings=settings, engine=engine, session_factory=session_factory)  # type: ignore[arg-type]
    first, second = await asyncio.gather(execute_task(ctx, task.id), execute_task(ctx, task.id))
    assert sorted([first, second]) == sorted([RunOutcome.DONE, RunOutcome.ALREADY_DONE])
    assert await execute_task(ctx, task.id) == RunOutcome.ALREADY_DONE
    assert len(await _notifications(session_factory)) == 1


@pytest.fixture
async def arq_app(settings: Settings, queue_name: str, empty_queue: None) -> AsyncIterator[Litestar]:
    arq_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    application = create_app(arq_settings)
    async with AsyncTestClient(application) as test_client:
        application.state.test_client = test_client
        yield application


async def _burst_worker(settings: Settings) -> Worker:
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    return Worker(
        functions=[run_outbox_task],
        queue_name=settings.queue_name,
        redis_settings=redis_settings,
        burst=True,
        on_startup=startup,
        on_shutdown=shutdown,
        ctx={"fieldhand_settings": settings.model_copy(update={"redis_url": REDIS_URL})},
        max_tries=WorkerSettings.max_tries,
        poll_delay=0.05,
        handle_signals=False,
    )


async def test_arq_burst_worker_executes_outbox_task(
    arq_app: Litestar, settings: Settings, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    admin = await factory.login(Role.ADMIN)
    client: AsyncTestClient = arq_app.state.test_client
    response = await client.post(
        "/skills", json={"code": "solar.inverter", "name": "Inverters"}, headers=admin.headers
    )
    assert response.status_code == 201
    rows = await _outbox_rows(session_factory)
    assert [r.status for r in rows] == [OutboxStatus.PUSHED]  # handed to Redis, not yet run
    assert await _notifications(session_factory) == []

    worker = await _burst_worker(settings)
    try:
        await worker.main()
    finally:
        await worker.close()
    assert [n.dedupe_key for n in await _notifications(session_factory)] == ["skill-added:solar.inverter"]
    assert [r.status for r in await _outbox_rows(session_factory)] == [OutboxStatus.DONE]


async def test_sweeper_pushes_rows_that_were_never_pushed(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], empty_queue: None
) -> None:
    async with session_factory() as session:  # committed, but the process "died" before pushing
        task = await outbox.enqueue(
            session, "notifications.send", {"dedupe_key": "lost", "kind": "t", "subject": "s"}, now=utcnow()
        )
        task.created_at = task.created_at.replace(year=task.created_at.year - 1)
        await session.commit()
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        swept = await outbox.sweep_stuck(
            session_factory, ArqQueue(redis, settings.queue_name), stuck_after_s=60, now=utcnow()
        )
        assert swept == 1
    finally:
        await redis.aclose()
    worker = await _burst_worker(settings)
    try:
        await worker.main()
    finally:
        await worker.close()
    assert [n.dedupe_key for n in await _notifications(session_factory)] == ["lost"]
    async with session_factory() as session:
        row = await session.get(OutboxTask, task.id)
        assert row is not None and row.status == OutboxStatus.DONE
