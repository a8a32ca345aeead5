"""A signed-in customer asks for a visit: remote fix first, then book, then the card hold."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.booking.helpers import (
    SITE,
    add_technician,
    assert_problem,
    customer_login,
    seed_catalog,
    tomorrow,
)
from tests.integration.booking.test_escalation import nominatim  # noqa: F401  (fixture)

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)


@pytest.fixture(autouse=True)
async def settle(client: AsyncTestClient) -> AsyncIterator[None]:
    """Let the app's in-process tasks finish before the next test empties the tables."""
    yield
    await client.app.state.queue.drain()


SF = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
async def catalog(session_factory: SF) -> None:
    await seed_catalog(session_factory)


def request(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "category": "thermostat-wifi",
        "description": "Thermostat shows no Wi-Fi and the heating stays off",
        "location": {"lat": SITE[0], "lng": SITE[1]},
        "steps_tried": ["restarted the router"],
    }
    body.update(overrides)
    return body


async def count_orders(client: AsyncTestClient, headers: dict[str, str]) -> int:
    page = await client.get("/work-orders", headers=headers)
    assert page.status_code == 200, page.text
    return len(page.json()["items"])


async def test_remote_fix_first_then_i_still_need_a_visit_then_book_and_authorise(
    client: AsyncTestClient, factory: Factory, session_factory: SF, settings: Settings
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    customer = await customer_login(session_factory, settings, helpdesk="web", external_id="self-1")

    remote = await client.post("/service-requests", json=request(), headers=customer.headers)
    assert remote.status_code == 200, remote.text
    assert remote.json()["outcome"] == "resolve_remotely"
    assert remote.json()["knowledge_base_hint"].startswith("KB-112")
    assert remote.json()["work_order"] is None
    assert await count_orders(client, customer.headers) == 0

    insisted = await client.post(
        "/service-requests",
        json=request(insist_on_visit=True),
        headers={**customer.headers, "Idempotency-Key": "visit-1"},
    )
    assert insisted.status_code == 201, insisted.text
    order = insisted.json()["work_order"]
    assert insisted.json()["outcome"] == "created"
    assert order["source"] == "booking" and order["status"] == "triaged"
    assert order["customer_id"] == str(customer.user.customer_id)
    assert order["required_skills"] == [{"code": "hvac.repair", "min_level": 1}]
    assert order["sla_due_at"] is not None and order["price"]["amount"] > 0
    assert order["context"]["entries"][0]["steps_tried"] == ["restarted the router"]
    replay = await client.post(
        "/service-requests",
        json=request(insist_on_visit=True),
        headers={**customer.headers, "Idempotency-Key": "visit-1"},
    )
    assert replay.status_code == 201 and replay.json() == insisted.json()
    assert await count_orders(client, customer.headers) == 1

    # then the ordinary flow: card, slots, book, authorised
    card = await client.put(
        "/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer.headers
    )
    assert card.status_code == 200, card.text
    slots = await client.get(f"/work-orders/{order['id']}/slots", headers=customer.headers)
    assert slots.status_code == 200 and slots.json()["availability"] == "available", slots.text
    first = slots.json()["slots"][0]
    booked = await client.post(
        f"/work-orders/{order['id']}/appointment",
        json={"window_start": first["start"], "window_end": first["end"]},
        headers=customer.headers,
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["work_order_status"] == "scheduled"
    await client.app.state.queue.drain()  # the authorisation task runs right after the booking commits
    payment = await client.get(f"/work-orders/{order['id']}/payment", headers=customer.headers)
    assert payment.status_code == 200 and payment.json()["status"] == "authorized", payment.text

    # someone else's order stays invisible
    stranger = await factory.login(Role.CUSTOMER)
    assert_problem(
        await client.get(f"/work-orders/{order['id']}", headers=stranger.headers), 404, "not-found"
    )


async def test_address_is_geocoded_and_only_customers_may_ask(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: SF,
    settings: Settings,
    nominatim: None,  # noqa: F811
) -> None:
    customer = await customer_login(session_factory, settings, helpdesk="web", external_id="self-2")
    by_address = request(
        category="hvac-broken", location={"address": "Dam 1, Amsterdam"}, description="No heat at all"
    )
    r = await client.post("/service-requests", json=by_address, headers=customer.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["work_order"]["lat"], r.json()["work_order"]["lng"]) == (52.3731, 4.8922)
    nowhere = {**by_address, "location": {"address": "Nowhere street 0"}}
    assert_problem(
        await client.post("/service-requests", json=nowhere, headers=customer.headers), 422, "invalid-input"
    )
    unknown = request(category="nope")
    assert_problem(
        await client.post("/service-requests", json=unknown, headers=customer.headers), 422, "invalid-input"
    )
    p1 = request(priority=1)
    assert_problem(
        await client.post("/service-requests", json=p1, headers=customer.headers), 422, "validation-failed"
    )
    for role in (Role.AGENT, Role.TECHNICIAN):
        other = await factory.login(role)
        assert_problem(
            await client.post("/service-requests", json=request(), headers=other.headers), 403, "forbidden"
        )
    assert_problem(await client.post("/service-requests", json=request()), 401, "unauthenticated")


async def test_nobody_qualified_in_time_goes_to_support_not_to_the_wrong_skill(
    client: AsyncTestClient, factory: Factory, session_factory: SF, settings: Settings
) -> None:
    await add_technician(  # free, close, but under-skilled for a broken boiler (needs level 2)
        session_factory, skills={"hvac.repair": 1}, shifts=[(tomorrow(8), tomorrow(18))]
    )
    customer = await customer_login(session_factory, settings, helpdesk="web", external_id="self-3")
    r = await client.post(
        "/service-requests",
        json=request(category="hvac-broken", description="Boiler is dead"),
        headers=customer.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["work_order"]["status"] == "needs_callback"
    got = await client.get(f"/work-orders/{r.json()['work_order']['id']}", headers=customer.headers)
    [handed_over] = [e for e in got.json()["events"] if e["to_status"] == "needs_callback"]
    assert handed_over["data"]["qualified"] == 0, handed_over
    assert got.json()["technician_id"] is None
