"""Test harness: real PostgreSQL and Redis, schema from Alembic, real commits.

Each test session gets its own PostgreSQL database (so several runs can share a server)
migrated with `alembic upgrade heads`; every test starts from empty tables (TRUNCATE),
so the application commits for real exactly as in production and race tests need no
special mode. Redis keys are namespaced by a per-session queue name.

Environment: FIELDHAND_TEST_PG (server URL without database, default
postgresql+asyncpg://postgres@127.0.0.1:5432) and FIELDHAND_TEST_REDIS (default
redis://127.0.0.1:6379/0).

Time: `--test-now=2026-03-29T00:30:00+00:00` (or FIELDHAND_TEST_NOW) runs the whole session
from that instant: the clock is moved there before any other fixture starts and keeps
ticking (time-machine), in this process, its threads (the live server) and the
subprocesses started through `tests.travel` (arq worker, Stripe server). Tests that need
"tomorrow" take it from the `now` the app sees, never from the hour the suite happens to run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from api.app import create_app
from marketplace import migrations
from marketplace.db import make_session_factory
from marketplace.settings import Settings
from tests.factories import Factory
from tests.travel import child_env

T = TypeVar("T")
TEST_NOW_ENV = "FIELDHAND_TEST_NOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--test-now",
        default=os.environ.get(TEST_NOW_ENV) or None,
        help="run the session from this ISO 8601 instant (with offset); the clock keeps ticking",
    )


def session_instant(config: pytest.Config) -> datetime | None:
    value = config.getoption("--test-now")
    if not value:
        return None
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise pytest.UsageError("--test-now needs an offset, e.g. 2026-03-29T00:30:00+00:00")
    return instant


_TRAVELLER = "_fieldhand_traveller"


def pytest_configure(config: pytest.Config) -> None:
    """Move the clock before collection (module constants), fixtures, the app and workers."""
    instant = session_instant(config)
    if instant is None:
        return
    import time_machine

    os.environ[TEST_NOW_ENV] = instant.isoformat()  # for subprocesses (tests.travel)
    traveller = time_machine.travel(instant, tick=True)
    traveller.start()
    time.time()  # time-machine starts ticking at the first reading, not when travel starts
    setattr(config, _TRAVELLER, traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = getattr(config, _TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


@pytest.fixture(scope="session", autouse=True)
def session_started_at(request: pytest.FixtureRequest) -> datetime | None:
    """The instant the session runs from (None: real time)."""
    return session_instant(request.config)


def pytest_report_header(config: pytest.Config) -> str:
    instant = session_instant(config)
    return f"clock: {'from ' + instant.isoformat() if instant else 'real time'}"


PG_SERVER = os.environ.get("FIELDHAND_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("FIELDHAND_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _admin_dsn() -> str:
    return PG_SERVER.replace("+asyncpg", "") + "/postgres"


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def in_thread(fn: Callable[[], T]) -> T:
    """Run blocking set-up (which may start its own event loop) off pytest-asyncio's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"fieldhand_test_{uuid.uuid4().hex[:10]}"
    in_thread(lambda: asyncio.run(_admin(f'CREATE DATABASE "{name}"')))
    url = f"{PG_SERVER}/{name}"
    in_thread(lambda: migrations.upgrade(url))
    yield url
    in_thread(lambda: asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


@pytest.fixture(scope="session")
def queue_name() -> str:
    return f"fieldhand:test:{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def settings(database_url: str, queue_name: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=None,
        queue_name=queue_name,
        jwt_secret="test-secret-" + "x" * 40,
        idempotency_lock_s=30,
        run_periodic_jobs=False,  # tests call periodic jobs explicitly
        stripe_webhook_secret="whsec_fieldhand_test_secret",
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(settings.database_url, pool_size=5, max_overflow=40)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(settings)
    async with AsyncTestClient(application) as _client:  # runs the lifespan once
        application.state.test_client = _client
        yield application


@pytest.fixture
async def client(app: Litestar, database_url: str) -> AsyncTestClient:
    test_client: AsyncTestClient = app.state.test_client
    test_client.headers.clear()
    return test_client


@pytest.fixture
def factory(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, database_url: str
) -> Factory:
    return Factory(session_factory, settings)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """The real app served by uvicorn on a real local port (its own thread and event loop)."""
    import threading
    import time

    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


ROOT = Path(__file__).resolve().parents[1]
STRIPE_WEBHOOK_SECRET = "whsec_fieldhand_money_tests_0123456789"
STRIPE_API_KEY = "sk_test_fieldhand_money_tests"


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[str]:
    """A local Stripe-compatible server (localstripe + Connect + idempotency), real HTTP."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.travel",
            "tests.stripe_server",
            "--port",
            str(port),
            "--webhook-secret",
            STRIPE_WEBHOOK_SECRET,
        ],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if (
                httpx.get(
                    f"{base}/v1/balance", headers={"Authorization": f"Bearer {STRIPE_API_KEY}"}
                ).status_code
                == 200
            ):
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"test Stripe server did not start: {err[-2000:]}")
        time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
async def empty_queue(queue_name: str) -> AsyncIterator[None]:
    """Forget jobs left in this run's arq queue by earlier tests (e.g. retries deferred for
    minutes), so a burst worker only sees this test's jobs and stops when they are done."""
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.delete(queue_name)
        yield
        await redis.delete(queue_name)
    finally:
        await redis.aclose()
