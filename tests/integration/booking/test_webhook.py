"""Helpdesk webhook: signed intake; unsigned, forged and stale requests write nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.work_orders.helpdesk import sign
from tests.integration.booking.helpers import assert_problem, escalation_body, seed_catalog

SECRET = "whsec-zendesk-test-0123456789"


@pytest.fixture(autouse=True)
def helpdesk_secret(app: Litestar) -> Iterator[None]:
    settings = app.state.settings
    before = dict(settings.helpdesk_secrets)
    settings.helpdesk_secrets = {**before, "zendesk": SECRET}
    yield
    settings.helpdesk_secrets = before


@pytest.fixture(autouse=True)
async def catalog(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await seed_catalog(session_factory)


async def rows(sf: async_sessionmaker[AsyncSession]) -> tuple[int, int, int, int]:
    counts = []
    async with sf() as s:
        for t in ("work_orders", "customers", "external_events", "work_order_events"):
            counts.append(int((await s.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one()))
    return counts[0], counts[1], counts[2], counts[3]


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if at is None else at
    return {
        "X-Fieldhand-Timestamp": str(ts),
        "X-Fieldhand-Signature": sign(secret, ts, body),
        "Content-Type": "application/json",
    }


async def test_signed_delivery_escalates_and_a_redelivery_gets_the_same_answer(
    client: AsyncTestClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = json.dumps({**escalation_body("Z-1", "ZC-1"), "event_id": "evt-1"}).encode()
    first = await client.post("/webhooks/helpdesk/zendesk", content=body, headers=signed(body))
    assert first.status_code == 201, first.text
    before = await rows(session_factory)
    again = await client.post("/webhooks/helpdesk/zendesk", content=body, headers=signed(body))
    assert (again.status_code, again.json()) == (201, first.json())
    assert await rows(session_factory) == before
    assert before[:3] == (1, 1, 1)


async def test_a_duplicate_event_id_with_a_new_body_changes_nothing(
    client: AsyncTestClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = json.dumps({**escalation_body("Z-7", "ZC-7"), "event_id": "evt-7"}).encode()
    first = await client.post("/webhooks/helpdesk/zendesk", content=body, headers=signed(body))
    assert first.status_code == 201, first.text
    before = await rows(session_factory)
    async with session_factory() as s:
        context_before = (await s.execute(sa.text("SELECT context FROM work_orders"))).scalar_one()

    changed = escalation_body("Z-7", "ZC-7", context={"transcript_excerpt": "Customer: now it leaks too"})
    body2 = json.dumps({**changed, "event_id": "evt-7"}).encode()
    again = await client.post("/webhooks/helpdesk/zendesk", content=body2, headers=signed(body2))

    assert (again.status_code, again.json()) == (201, first.json())
    assert await rows(session_factory) == before
    async with session_factory() as s:
        assert (await s.execute(sa.text("SELECT context FROM work_orders"))).scalar_one() == context_before


async def test_a_new_event_for_the_same_ticket_appends_its_context_to_the_same_order(
    client: AsyncTestClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = json.dumps({**escalation_body("Z-8", "ZC-8"), "event_id": "evt-8a"}).encode()
    first = await client.post("/webhooks/helpdesk/zendesk", content=body, headers=signed(body))
    assert first.status_code == 201, first.text
    changed = escalation_body("Z-8", "ZC-8", context={"transcript_excerpt": "Customer: now it leaks too"})
    body2 = json.dumps({**changed, "event_id": "evt-8b"}).encode()
    again = await client.post("/webhooks/helpdesk/zendesk", content=body2, headers=signed(body2))
    assert again.status_code == 200 and again.json()["outcome"] == "existing", again.text
    assert again.json()["work_order"]["id"] == first.json()["work_order"]["id"]
    assert again.json()["context_appended"] is True
    assert (await rows(session_factory))[:3] == (1, 1, 2)


@pytest.mark.parametrize(
    "case",
    ["unsigned", "forged", "wrong_secret", "stale", "future", "tampered_body", "unknown_helpdesk"],
)
async def test_bad_deliveries_are_401_and_write_nothing(
    case: str, client: AsyncTestClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = json.dumps(escalation_body("Z-2", "ZC-2")).encode()
    url = "/webhooks/helpdesk/zendesk"
    headers = signed(body)
    if case == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif case == "forged":
        headers["X-Fieldhand-Signature"] = "v1=" + "0" * 64
    elif case == "wrong_secret":
        headers = signed(body, secret="guess")
    elif case == "stale":  # a captured request replayed ten minutes later
        headers = signed(body, at=int(time.time()) - 600)
    elif case == "future":
        headers = signed(body, at=int(time.time()) + 600)
    elif case == "tampered_body":
        body = body.replace(b"Z-2", b"Z-3")
    elif case == "unknown_helpdesk":
        url = "/webhooks/helpdesk/freshdesk"
    response = await client.post(url, content=body, headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert await rows(session_factory) == (0, 0, 0, 0)


async def test_signed_but_invalid_body_is_422_problem(
    client: AsyncTestClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = b'{"helpdesk": "zendesk"}'
    assert_problem(
        await client.post("/webhooks/helpdesk/zendesk", content=body, headers=signed(body)),
        422,
        "invalid-input",
    )
    assert await rows(session_factory) == (0, 0, 0, 0)
