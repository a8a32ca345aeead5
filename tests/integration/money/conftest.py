"""Money tests: the real stripe SDK over HTTP against a local Stripe-compatible server.

`stripe_server` starts `python -m tests.stripe_server` (localstripe + Connect + idempotency +
SDK parameter checks) as a subprocess on a free port for the whole session. `money_app` is the
Litestar app configured to use it; `task_ctx` runs outbox tasks explicitly (no queue), so a test
decides when each task runs and can run it twice. After every test the ledger must balance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import stripe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from marketplace.ledger import repository as ledger_repo
from marketplace.settings import Settings
from tests.conftest import STRIPE_API_KEY as API_KEY
from tests.conftest import STRIPE_WEBHOOK_SECRET as WEBHOOK_SECRET
from workers.context import TaskContext


@pytest.fixture(scope="session")
def money_settings(settings: Settings, stripe_server: str) -> Settings:
    return settings.model_copy(
        update={
            "stripe_api_key": API_KEY,
            "stripe_api_base": stripe_server,
            "stripe_webhook_secret": WEBHOOK_SECRET,
        }
    )


@pytest.fixture(scope="session")
async def money_app(money_settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(money_settings)
    async with AsyncTestClient(application) as client:
        application.state.test_client = client
        yield application


@pytest.fixture
async def money_client(money_app: Litestar, database_url: str) -> AsyncTestClient:
    client: AsyncTestClient = money_app.state.test_client
    client.headers.clear()
    return client


@pytest.fixture
def task_ctx(
    money_settings: Settings, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> TaskContext:
    return TaskContext(settings=money_settings, engine=engine, session_factory=session_factory, queue=None)


@pytest.fixture(scope="session")
def stripe_client(stripe_server: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": stripe_server, "connect": stripe_server},
        http_client=stripe.HTTPXClient(),
    )


@pytest.fixture(autouse=True)
async def ledger_balances(
    clean_database: None, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    yield
    async with session_factory() as session:
        assert await ledger_repo.unbalanced_correlations(session) == []
