"""After a technician accepts: the customer's ETA is the plan, then live; and once the
visit is done the technician rates the customer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.mobile.helpers import (
    AMSTERDAM,
    Tech,
    assert_problem,
    iso,
    offer_round,
    open_work_order,
    pending_offers,
    ready_technician,
)

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)


@pytest.fixture(autouse=True)
async def settle(client: AsyncTestClient) -> AsyncIterator[None]:
    """Let the app's in-process tasks finish before the next test empties the tables."""
    yield
    await client.app.state.queue.drain()


M = "/mobile/v1"
SF = async_sessionmaker[AsyncSession]


async def _accepted_urgent_order(client: AsyncTestClient, factory: Factory, sf: SF) -> tuple[uuid.UUID, Tech]:
    """A P1 order with no booked window (instant dispatch), offered and accepted over HTTP."""
    tech = await ready_technician(factory)
    order_id = await open_work_order(sf, with_appointment=False)
    async with unit_of_work(sf) as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None
        order.priority = 1
        order.sla_due_at = utcnow() + timedelta(hours=6)
    result = await offer_round(sf, order_id)
    assert result.outcome == "ranked" and len(result.offers) == 1
    [offer] = await pending_offers(client, tech)
    accepted = await client.post(f"{M}/offers/{offer['id']}/accept", headers=tech.headers)
    assert accepted.status_code == 200, accepted.text
    return order_id, tech


async def test_eta_after_accept_is_the_plan_then_live_on_the_way(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    order_id, tech = await _accepted_urgent_order(client, factory, session_factory)
    agent = await factory.login(Role.AGENT)

    eta = (await client.get(f"/work-orders/{order_id}/eta", headers=agent.headers)).json()
    assert eta["status"] == "assigned"
    assert eta["source"] == "planned", eta
    assert eta["arrival"] is not None and eta["estimated_resolution_at"] is not None
    assert eta["technician_id"] == str(tech.technician_id)
    assert eta["sla_risk"] == "on_track", eta

    now = utcnow().replace(microsecond=0)
    pings = await client.post(
        f"{M}/locations",
        json={"pings": [{"lat": AMSTERDAM[0], "lng": AMSTERDAM[1], "recorded_at": iso(now)}]},
        headers=tech.headers,
    )
    assert pings.status_code == 200, pings.text
    moved = await client.post(
        f"{M}/visits/{order_id}/status", json={"status": "en_route"}, headers=tech.headers
    )
    assert moved.status_code == 200, moved.text
    live = (await client.get(f"/work-orders/{order_id}/eta", headers=agent.headers)).json()
    assert live["source"] == "live_location" and live["travel_s"] > 0, live


async def test_technician_rates_the_customer_once_after_completion(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    order_id, tech = await _accepted_urgent_order(client, factory, session_factory)
    other = await ready_technician(factory)
    url = f"{M}/visits/{order_id}/customer-rating"
    rating = {"stars": 4, "comment": "Dog was friendly"}

    assert_problem(await client.post(url, json=rating, headers=tech.headers), 409, "not-reviewable")
    visit = f"{M}/visits/{order_id}/status"
    for step in ("en_route", "on_site", "completed"):
        r = await client.post(visit, json={"status": step}, headers=tech.headers)
        assert r.status_code == 200, r.text

    assert_problem(await client.post(url, json=rating, headers=other.headers), 404, "not-found")
    customer = await factory.login(Role.CUSTOMER)
    assert (await client.post(url, json=rating, headers=customer.headers)).status_code == 403

    done = await client.post(url, json=rating, headers=tech.headers)
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["stars"] == 4 and body["work_order_id"] == str(order_id)
    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None and body["customer_id"] == str(order.customer_id)
    assert_problem(await client.post(url, json=rating, headers=tech.headers), 409, "already-reviewed")
    assert_problem(await client.post(url, json={"stars": 9}, headers=tech.headers), 422, "validation-failed")
