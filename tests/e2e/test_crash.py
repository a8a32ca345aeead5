"""A worker killed (SIGKILL) in the middle of a dispatch run, then restarted: the run's
effects are neither lost nor duplicated (the transaction died with the process, the outbox
sweeper pushed the task again, the second run did it once)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlmodel import col, select

from marketplace import outbox
from marketplace.clock import utcnow
from marketplace.offers.models import Offer
from marketplace.outbox import OutboxStatus, OutboxTask, push_pending, take_pending
from marketplace.settings import Settings
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrderEvent
from tests.conftest import REDIS_URL
from tests.e2e.helpers import SF, customer, escalation, seed_catalog, technician, tomorrow_local
from tests.factories import Factory
from tests.travel import child_env
from workers.queue import ArqQueue

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

ROOT = Path(__file__).resolve().parents[2]


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **child_env(),
        "FIELDHAND_DATABASE_URL": settings.database_url,
        "FIELDHAND_REDIS_URL": REDIS_URL,
        "FIELDHAND_QUEUE_NAME": settings.queue_name,
        "FIELDHAND_SOLVER_TIME_LIMIT_S": "6",
        "FIELDHAND_OUTBOX_STUCK_AFTER_S": "1",
        "FIELDHAND_JWT_SECRET": settings.jwt_secret,
        "FIELDHAND_ENVIRONMENT": "test",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.travel", "arq", "workers.settings.WorkerSettings"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def solving(sf: SF) -> bool:
    """A batch run holds its region's advisory lock while it plans."""
    async with sf() as s:
        return bool(
            (await s.execute(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))).scalar()
        )


async def wait_for(check, within_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_worker_killed_mid_dispatch_run_leaves_no_lost_or_double_effect(
    e2e_client: AsyncTestClient,
    e2e_settings: Settings,
    factory: Factory,
    session_factory: SF,
) -> None:
    await seed_catalog(session_factory)
    await technician(
        session_factory,
        e2e_settings,
        name="Solo",
        at=(52.36, 4.9),
        shifts=[(tomorrow_local(7), tomorrow_local(19))],
    )
    agent = await factory.login(Role.AGENT)
    cust = await customer(session_factory, e2e_settings, "C-K")
    r = await e2e_client.post("/escalations", json=escalation("T-K", "C-K"), headers=agent.headers)
    order_id = r.json()["work_order"]["id"]
    slot = (await e2e_client.get(f"/work-orders/{order_id}/slots", headers=cust.headers)).json()["slots"][0]
    r = await e2e_client.post(
        f"/work-orders/{order_id}/appointment",
        json={"window_start": slot["start"], "window_end": slot["end"]},
        headers=cust.headers,
    )
    assert r.status_code == 201, r.text

    from arq import create_pool
    from arq.connections import RedisSettings

    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        async with session_factory() as s:
            task = await outbox.enqueue(
                s,
                "dispatch.batch_region",
                {"region": "default", "trigger": "crash-test"},
                dedupe_key="crash-test",
                now=utcnow(),
            )
            await s.commit()
            await push_pending(
                session_factory, ArqQueue(redis, e2e_settings.queue_name), take_pending(s), now=utcnow()
            )
    finally:
        await redis.aclose()

    async def offers() -> list[Offer]:
        async with session_factory() as s:
            return list(
                (await s.execute(select(Offer).where(col(Offer.work_order_id) == order_id))).scalars()
            )

    worker = start_worker(e2e_settings)
    try:
        assert await wait_for(lambda: solving(session_factory), 60), "the dispatch run never started"
        os.kill(worker.pid, signal.SIGKILL)  # mid-solve: nothing committed yet
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    await asyncio.sleep(0.5)
    assert await offers() == []  # no half-written effect survived the crash
    async with session_factory() as s:
        row = await s.get(OutboxTask, task.id)
        assert row is not None and row.status == OutboxStatus.PUSHED  # not done, not lost

    worker = start_worker(e2e_settings)  # restart: the sweeper pushes the stuck task again
    try:

        async def done() -> bool:
            async with session_factory() as s:
                row = await s.get(OutboxTask, task.id)
                return row is not None and row.status == OutboxStatus.DONE and len(await offers()) > 0

        assert await wait_for(done, 90), "the task was not run again after the restart"
        await asyncio.sleep(1.0)  # let any duplicate delivery run too
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
    found = await offers()
    assert len(found) == 1 and found[0].status == "pending"  # exactly once
    async with session_factory() as s:
        offered = (
            await s.execute(
                select(sa.func.count())
                .select_from(WorkOrderEvent)
                .where(col(WorkOrderEvent.work_order_id) == order_id, WorkOrderEvent.to_status == "offered")
            )
        ).scalar_one()
    assert offered == 1
