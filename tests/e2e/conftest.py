"""End-to-end: real PostgreSQL + Redis + arq workers + the local Stripe server.

The app runs with `redis_url` set, so requests push outbox tasks to Redis; the tests run
real arq burst workers (in-process, or as a subprocess that can be killed) to execute them.
The Stripe server fixtures are shared with the money tests (tests/conftest.py).
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from marketplace.models import metadata
from marketplace.pricing.policy import load_policy
from marketplace.settings import Settings
from tests.conftest import REDIS_URL, ROOT, _free_port
from tests.conftest import STRIPE_API_KEY as API_KEY
from tests.conftest import STRIPE_WEBHOOK_SECRET as WEBHOOK_SECRET
from tests.serving import await_health
from tests.travel import child_env

_TRUNCATE = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)


@pytest.fixture(autouse=True)
async def clean_database(engine: AsyncEngine, empty_queue: None) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {_TRUNCATE} RESTART IDENTITY CASCADE"))
    yield


@pytest.fixture(autouse=True)
def instant_payouts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No payout hold in end-to-end days (the money tests cover the hold)."""
    monkeypatch.setenv("FIELDHAND_MONEY_PAYOUT_HOLD_S", "0")
    load_policy.cache_clear()
    yield
    load_policy.cache_clear()  # the environment is restored right after: reload it then


@pytest.fixture(scope="session")
def e2e_settings(settings: Settings, stripe_server: str) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": REDIS_URL,
            "stripe_api_key": API_KEY,
            "stripe_api_base": stripe_server,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "solver_time_limit_s": 1.0,
        }
    )


@pytest.fixture(scope="session")
async def e2e_app(e2e_settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(e2e_settings)
    async with AsyncTestClient(application) as client:
        application.state.test_client = client
        yield application


@pytest.fixture
async def e2e_client(e2e_app: Litestar) -> AsyncTestClient:
    client: AsyncTestClient = e2e_app.state.test_client
    client.headers.clear()
    return client


# Two real API processes (uvicorn subprocesses) for the multi-process tests. Their live pages
# re-read on their own only every two minutes, so a change that reaches one sooner came over
# Redis pub/sub.
LIVE_FALLBACK_S = 120


def start_api(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **child_env(),
        "FIELDHAND_DATABASE_URL": settings.database_url,
        "FIELDHAND_REDIS_URL": REDIS_URL,
        "FIELDHAND_QUEUE_NAME": settings.queue_name,
        "FIELDHAND_JWT_SECRET": settings.jwt_secret,
        "FIELDHAND_ENVIRONMENT": "test",
        "FIELDHAND_IDEMPOTENCY_LOCK_S": str(settings.idempotency_lock_s),
        "FIELDHAND_LIVE_FALLBACK_S": str(LIVE_FALLBACK_S),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.travel", "uvicorn", "api.app:create_app_from_env", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stderr_of(proc: subprocess.Popen[bytes]) -> str:
    """What an exited process wrote to its piped stderr (nothing while it still runs)."""
    if proc.poll() is None or proc.stderr is None:
        return ""
    return proc.stderr.read().decode(errors="replace")


@pytest.fixture(scope="module")
def two_apis(settings: Settings) -> Iterator[tuple[str, str]]:
    ports = [_free_port(), _free_port()]
    procs = [start_api(settings, port) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for proc, base in zip(procs, bases, strict=True):
            await_health(base, proc, within_s=60, describe=functools.partial(_stderr_of, proc))
        yield bases[0], bases[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
