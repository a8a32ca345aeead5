"""Journey tests: the app with the Stripe test server, a real SMTP mailbox and the workers.

`journey` is the app configured like production (Stripe over HTTP to the local
Stripe-compatible server, e-mail over SMTP to `smtp_mailbox`, tasks on the in-process
queue). `Worker.settle()` plays the worker side: it waits for the queue and runs whatever
outbox tasks are due (as the outbox sweeper does); `Worker.periodic(name)` runs one
registered periodic job, as arq's cron would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from marketplace.messages.channels import build_channels
from marketplace.pricing.policy import load_policy
from marketplace.settings import Settings
from tests.conftest import STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET
from tests.integration.conftest import clean_database  # noqa: F401  (fixture)
from tests.integration.money.helpers import run_tasks
from tests.mailbox import Mailbox, smtp_mailbox  # noqa: F401  (fixture)
from workers.bootstrap import build_context
from workers.context import TaskContext
from workers.crons import PERIODIC
from workers.queue import InProcessQueue
from workers.registry import load_all
from workers.tasks.messages import CHANNELS_KEY


@pytest.fixture(scope="session")
def journey_settings(settings: Settings, stripe_server: str) -> Settings:
    return settings.model_copy(
        update={
            "stripe_api_key": STRIPE_API_KEY,
            "stripe_api_base": stripe_server,
            "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
        }
    )


@pytest.fixture(scope="session")
async def journey_app(journey_settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(journey_settings)
    async with AsyncTestClient(application) as client:
        application.state.test_client = client
        yield application


@pytest.fixture
async def http(journey_app: Litestar, database_url: str) -> AsyncTestClient:
    client: AsyncTestClient = journey_app.state.test_client
    client.headers.clear()
    return client


class Worker:
    def __init__(self, ctx: TaskContext, queue: InProcessQueue) -> None:
        self.ctx = ctx
        self.queue = queue

    async def settle(self, rounds: int = 3) -> None:
        for _ in range(rounds):
            await self.queue.drain()
            await run_tasks(self.ctx, include_pushed=True)
            await asyncio.sleep(0.05)

    async def periodic(self, name: str) -> None:
        load_all()
        [job] = [j for j in PERIODIC if j.name == name]
        await job.run(self.ctx)
        await self.settle()


@pytest.fixture
def mailbox(http: AsyncTestClient, smtp_mailbox: Mailbox) -> Iterator[Mailbox]:  # noqa: F811
    queue = http.app.state.queue
    assert isinstance(queue, InProcessQueue) and queue.ctx is not None
    queue.ctx.extras[CHANNELS_KEY] = build_channels(smtp_mailbox.config())
    yield smtp_mailbox
    queue.ctx.extras.pop(CHANNELS_KEY, None)


@pytest.fixture
async def worker(
    http: AsyncTestClient, mailbox: Mailbox, journey_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Worker]:
    """A worker process's side, built from the settings as `arq workers.settings.WorkerSettings`
    builds it (its own engine): the test hands it no database handle."""
    monkeypatch.setenv("FIELDHAND_MONEY_PAYOUT_HOLD_S", "0")  # operator setting: pay out at once
    load_policy.cache_clear()  # the money policy is read once per process: read it again now
    queue = http.app.state.queue
    assert isinstance(queue, InProcessQueue)
    ctx = build_context(journey_settings, queue=None)
    ctx.extras[CHANNELS_KEY] = build_channels(mailbox.config())
    try:
        yield Worker(ctx, queue)
        await queue.drain()  # the app's tasks finish before the next test empties the tables
    finally:
        await ctx.engine.dispose()
    load_policy.cache_clear()  # the environment is restored after this: later tests read it again
