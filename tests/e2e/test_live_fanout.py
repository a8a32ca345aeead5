"""Two API processes on one PostgreSQL and Redis: a change made through one reaches a live
page (server-sent events) open on the other, over Redis pub/sub. Not time-of-day dependent,
so not among the `clock` tests."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.settings import Settings
from tests.factories import Factory
from tests.integration.booking.helpers import customer_login
from tests.integration.mobile.helpers import offer_round, open_work_order, ready_technician, seed_skills

SF = async_sessionmaker[AsyncSession]


async def next_event(lines: AsyncIterator[str], name: str) -> dict[str, Any]:
    """The data of the stream's next `name` event."""
    event = None
    while True:
        line = await anext(lines)
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:") and event == name:
            data: dict[str, Any] = json.loads(line.partition(":")[2])
            return data
        elif not line:
            event = None


async def test_a_change_through_one_process_reaches_a_live_page_on_the_other(
    two_apis: tuple[str, str], factory: Factory, session_factory: SF, settings: Settings
) -> None:
    one, other = two_apis
    await seed_skills(session_factory, "hvac.repair")
    tech = await ready_technician(factory)
    customer = await customer_login(session_factory, settings, external_id=f"live-{uuid.uuid4().hex[:6]}")
    order_id = await open_work_order(session_factory)
    async with session_factory() as s:  # the customer's own order
        for table, key in (("work_orders", "id"), ("appointments", "work_order_id")):
            await s.execute(
                sa.text(f"UPDATE {table} SET customer_id = :c WHERE {key} = :o"),
                {"c": customer.user.customer_id, "o": order_id},
            )
        await s.commit()
    (offer,) = (await offer_round(session_factory, order_id, max_offers=1)).offers
    async with (
        httpx.AsyncClient(timeout=30, cookies={"fh_app": customer.token}) as http,
        http.stream("GET", f"{other}/app/orders/{order_id}/live") as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            before = await next_event(lines, "track")
        assert before["status"] == "offered" and before["technician"] is None
        accepted = await http.post(f"{one}/mobile/v1/offers/{offer.id}/accept", headers=tech.headers)
        assert accepted.status_code == 200, accepted.text
        # well inside the page's own fallback re-read: only the live channel can bring it
        async with asyncio.timeout(10):
            after = await next_event(lines, "track")
    assert after["status"] == "assigned" and after["technician"] == "Test Tech"
