"""Customers: slots from real feasibility, book/reschedule/cancel, races, ETA, callbacks, reviews."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.clock import utcnow
from marketplace.settings import Settings
from marketplace.technicians.models import Technician
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import transition
from tests.factories import Factory, Login
from tests.integration.booking.helpers import (
    add_technician,
    assert_problem,
    customer_login,
    escalate,
    seed_catalog,
    tomorrow,
)

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)


@pytest.fixture(autouse=True)
async def catalog(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await seed_catalog(session_factory)


async def order_for(
    client: AsyncTestClient,
    factory: Factory,
    sf: async_sessionmaker[AsyncSession],
    settings: Settings,
    ticket: str,
) -> tuple[str, Login]:
    customer = await customer_login(sf, settings, external_id=f"cust-{ticket}")
    agent = await factory.login(Role.AGENT)
    r = await escalate(client, agent, ticket, f"cust-{ticket}")
    assert r.status_code == 201, r.text
    return r.json()["work_order"]["id"], customer


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def window(start: datetime, hours: int = 2) -> dict[str, str]:
    return {"window_start": start.isoformat(), "window_end": (start + timedelta(hours=hours)).isoformat()}


async def drive(
    sf: async_sessionmaker[AsyncSession], order_id: str, *steps: S, technician_id: uuid.UUID | None = None
) -> None:
    """Stand-in for the technician app: move the order through the real state machine."""
    async with sf() as s:
        order = await s.get(WorkOrder, uuid.UUID(order_id))
        assert order is not None
        if technician_id is not None:
            order.technician_id = technician_id
        for step in steps:
            await transition(s, order, step, actor=None, reason="test", now=utcnow())
        await s.commit()


async def test_slots_only_offer_windows_a_qualified_technician_can_reach(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await add_technician(session_factory, name="qualified", shifts=[(tomorrow(10), tomorrow(12))])
    await add_technician(  # free all afternoon, but only level 1
        session_factory,
        name="under-skilled",
        skills={"hvac.repair": 1},
        shifts=[(tomorrow(14), tomorrow(20))],
    )
    await add_technician(  # qualified and free in the morning, but lives 60 km away
        session_factory, name="far", at=(52.90, 4.89), shifts=[(tomorrow(6), tomorrow(10))]
    )
    order_id, customer = await order_for(client, factory, session_factory, settings, "S-1")
    r = await client.get(f"/work-orders/{order_id}/slots", headers=customer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["availability"] == "available"
    starts = [(s["start"], s["end"]) for s in body["slots"]]
    assert starts == [(z(tomorrow(10)), z(tomorrow(12)))]
    slot = body["slots"][0]
    arrival = datetime.fromisoformat(slot["earliest_arrival"])
    assert tomorrow(10) < arrival < tomorrow(11)  # travel from home, then 1 h of work before 12:00
    assert slot["meets_sla"] is True and slot["technicians"] == 1


async def test_customers_cannot_read_or_book_each_others_orders(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    order_a, alice = await order_for(client, factory, session_factory, settings, "B-A")
    _order_b, bob = await order_for(client, factory, session_factory, settings, "B-B")
    for method, path, body in [
        ("GET", f"/work-orders/{order_a}", None),
        ("GET", f"/work-orders/{order_a}/slots", None),
        ("GET", f"/work-orders/{order_a}/eta", None),
        ("POST", f"/work-orders/{order_a}/appointment", window(tomorrow(10))),
        ("POST", f"/work-orders/{order_a}/appointment/reschedule", window(tomorrow(12))),
        ("POST", f"/work-orders/{order_a}/appointment/cancel", {}),
        ("POST", f"/work-orders/{order_a}/callback-requests", {"reason": "hi"}),
        ("POST", f"/work-orders/{order_a}/review", {"stars": 1}),
    ]:
        response = await client.request(method, path, json=body, headers=bob.headers)
        assert_problem(response, 404, "not-found")
    # and it stays untouched
    got = (await client.get(f"/work-orders/{order_a}", headers=alice.headers)).json()
    assert got["status"] == "triaged" and got["appointment"] is None
    tech = await factory.login(Role.TECHNICIAN)
    assert_problem(
        await client.post(
            f"/work-orders/{order_a}/appointment", json=window(tomorrow(10)), headers=tech.headers
        ),
        403,
        "forbidden",
    )


async def test_book_reschedule_cancel_with_policy_and_illegal_steps(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    order_id, customer = await order_for(client, factory, session_factory, settings, "B-1")
    base = f"/work-orders/{order_id}"
    headers = {**customer.headers, "Idempotency-Key": "book-1"}
    booked = await client.post(f"{base}/appointment", json=window(tomorrow(10)), headers=headers)
    assert booked.status_code == 201, booked.text
    assert booked.json()["work_order_status"] == "scheduled" and booked.json()["meets_sla"] is True
    replay = await client.post(f"{base}/appointment", json=window(tomorrow(10)), headers=headers)
    assert replay.status_code == 201 and replay.json() == booked.json()
    assert_problem(
        await client.post(f"{base}/appointment", json=window(tomorrow(12)), headers=customer.headers),
        409,
        "already-booked",
    )
    assert_problem(
        await client.post(
            f"{base}/appointment", json=window(tomorrow(12), hours=6), headers=customer.headers
        ),
        422,
        "invalid-input",
    )

    moved = await client.post(
        f"{base}/appointment/reschedule", json=window(tomorrow(14)), headers=customer.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["appointment"]["window_start"] == z(tomorrow(14))
    eta = (await client.get(f"{base}/eta", headers=customer.headers)).json()
    assert eta["source"] == "planned" and eta["window_start"] == z(tomorrow(14))
    assert datetime.fromisoformat(eta["estimated_resolution_at"]) > datetime.fromisoformat(eta["arrival"])

    cancelled = await client.post(
        f"{base}/appointment/cancel", json={"reason": "fixed it myself"}, headers=customer.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    # tomorrow 14:00 is less than 24 h away only late in the UTC day; the policy decides either way
    free_until = datetime.fromisoformat(cancelled.json()["free_cancellation_until"])
    expected_fee = 0 if datetime.now(UTC) < free_until else 6000
    assert cancelled.json()["cancellation_fee"] == {"amount": expected_fee, "currency": "eur"}
    assert cancelled.json()["work_order_status"] == "cancelled"

    assert_problem(
        await client.post(f"{base}/appointment/cancel", json={}, headers=customer.headers),
        409,
        "no-appointment",
    )
    assert_problem(
        await client.post(f"{base}/appointment", json=window(tomorrow(10)), headers=customer.headers),
        409,
        "illegal-transition",
    )
    history = (await client.get(f"/work-orders/{order_id}", headers=customer.headers)).json()["events"]
    assert [e["to_status"] for e in history if e["kind"] == "transition"] == [
        "triaged",
        "scheduled",
        "scheduled",
        "cancelled",
    ]


async def test_late_cancellation_costs_half_and_on_site_cannot_be_cancelled(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    soon = soon - timedelta(hours=soon.hour % 2)  # on the 2-hour grid
    tech = await add_technician(
        session_factory, shifts=[(soon - timedelta(hours=2), soon + timedelta(hours=8))]
    )
    order_id, customer = await order_for(client, factory, session_factory, settings, "B-2")
    base = f"/work-orders/{order_id}"
    assert (
        await client.post(f"{base}/appointment", json=window(soon), headers=customer.headers)
    ).status_code == 201
    r = await client.post(f"{base}/appointment/cancel", json={}, headers=customer.headers)
    assert r.status_code == 200 and r.json()["cancellation_fee"]["amount"] == 6000  # 50 % of 120.00

    order2, customer2 = await order_for(client, factory, session_factory, settings, "B-3")
    assert (
        await client.post(f"/work-orders/{order2}/appointment", json=window(soon), headers=customer2.headers)
    ).status_code == 201
    await client.app.state.queue.drain()  # let the booking's background tasks finish first
    await drive(session_factory, order2, S.ASSIGNED, S.EN_ROUTE, S.ON_SITE, technician_id=tech)
    assert_problem(
        await client.post(f"/work-orders/{order2}/appointment/cancel", json={}, headers=customer2.headers),
        409,
        "illegal-transition",
    )
    assert_problem(
        await client.post(
            f"/work-orders/{order2}/appointment/reschedule",
            json=window(soon + timedelta(hours=2)),
            headers=customer2.headers,
        ),
        409,
        "illegal-transition",
    )


async def test_twenty_customers_race_for_the_last_place_exactly_one_wins(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    # one qualified technician with room for exactly one 1-hour job tomorrow 10:00-11:30
    await add_technician(session_factory, shifts=[(tomorrow(10), tomorrow(11, 30))])
    await add_technician(session_factory, name="later", shifts=[(tomorrow(14), tomorrow(18))])
    orders = [await order_for(client, factory, session_factory, settings, f"R-{i}") for i in range(20)]

    async def book(order_id: str, customer: Login, i: int) -> Any:
        return await client.post(
            f"/work-orders/{order_id}/appointment",
            json=window(tomorrow(10)),
            headers={**customer.headers, "Idempotency-Key": f"race-{i}"},
        )

    responses = await asyncio.gather(*(book(o, c, i) for i, (o, c) in enumerate(orders)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, [r.text for r in responses if r.status_code != 409]
    assert statuses.count(409) == 19
    for r in responses:
        if r.status_code == 409:
            body = assert_problem(r, 409, "slot-unavailable")
            starts = {a["start"] for a in body["alternatives"]}
            assert z(tomorrow(10)) not in starts  # fresh: the taken window is gone
            assert z(tomorrow(14)) in starts
    async with session_factory() as s:
        live = (
            await s.execute(sa.text("SELECT count(*) FROM appointments WHERE status = 'booked'"))
        ).scalar_one()
    assert live == 1


async def test_two_tabs_booking_one_order_make_one_appointment(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    order_id, customer = await order_for(client, factory, session_factory, settings, "TAB")
    tabs = await asyncio.gather(
        *(
            client.post(
                f"/work-orders/{order_id}/appointment",
                json=window(tomorrow(8 + 2 * i)),
                headers=customer.headers,
            )
            for i in range(4)
        )
    )
    assert sorted(r.status_code for r in tabs) == [201, 409, 409, 409]
    for r in tabs:
        if r.status_code == 409:
            assert_problem(r, 409, "already-booked")


async def test_eta_from_last_location_once_en_route(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    now = datetime.now(UTC)
    tech = await add_technician(
        session_factory, name="Sam", shifts=[(now - timedelta(hours=1), now + timedelta(hours=8))]
    )
    order_id, customer = await order_for(client, factory, session_factory, settings, "E-1")
    start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    assert (
        await client.post(
            f"/work-orders/{order_id}/appointment", json=window(start), headers=customer.headers
        )
    ).status_code == 201
    await client.app.state.queue.drain()  # let the booking's background tasks finish first
    await drive(session_factory, order_id, S.ASSIGNED, S.EN_ROUTE, technician_id=tech)
    async with session_factory() as s:
        row = await s.get(Technician, tech)
        assert row is not None
        row.last_lat, row.last_lng, row.last_located_at = 52.4200, 4.8900, now  # ~5.6 km north
        await s.commit()
    eta = (await client.get(f"/work-orders/{order_id}/eta", headers=customer.headers)).json()
    assert eta["source"] == "live_location" and eta["technician_name"] == "Sam"
    assert 5_000 < eta["distance_m"] < 10_000  # straight line x detour factor
    arrival = datetime.fromisoformat(eta["arrival"])
    assert timedelta(minutes=10) < arrival - now < timedelta(minutes=25)
    assert datetime.fromisoformat(eta["estimated_resolution_at"]) - arrival == timedelta(hours=1)
    assert eta["sla_risk"] == "on_track"


async def test_request_human_and_review_after_completion(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    tech = await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    order_id, customer = await order_for(client, factory, session_factory, settings, "H-1")
    base = f"/work-orders/{order_id}"
    cb = await client.post(
        f"{base}/callback-requests",
        json={"reason": "Which day works?", "phone": "+31 6 1234"},
        headers=customer.headers,
    )
    assert cb.status_code == 201, cb.text
    agent = await factory.login(Role.AGENT)
    listed = (await client.get("/callback-requests", headers=agent.headers)).json()
    assert listed[0]["id"] == cb.json()["id"]
    assert listed[0]["context"]["work_order"]["external_ref"] == "zendesk:H-1"
    assert listed[0]["context"]["support_context"]["entries"]
    assert_problem(await client.get("/callback-requests", headers=customer.headers), 403, "forbidden")

    assert_problem(
        await client.post(f"{base}/review", json={"stars": 5}, headers=customer.headers),
        409,
        "not-reviewable",
    )
    assert (
        await client.post(f"{base}/appointment", json=window(tomorrow(10)), headers=customer.headers)
    ).status_code == 201
    await client.app.state.queue.drain()  # let the booking's background tasks finish first
    await drive(session_factory, order_id, S.ASSIGNED, S.EN_ROUTE, S.ON_SITE, S.COMPLETED, technician_id=tech)
    bad = await client.post(f"{base}/review", json={"stars": 9}, headers=customer.headers)
    assert bad.status_code in (400, 422) and bad.json()["type"].endswith("/validation-failed")
    review = await client.post(
        f"{base}/review", json={"stars": 4, "comment": "quick and tidy"}, headers=customer.headers
    )
    assert review.status_code == 201, review.text
    assert_problem(
        await client.post(f"{base}/review", json={"stars": 1}, headers=customer.headers),
        409,
        "already-reviewed",
    )
    async with session_factory() as s:
        row = await s.get(Technician, tech)
        assert row is not None and (row.rating_sum, row.rating_count) == (4, 1)
    done = (await client.get(f"{base}/eta", headers=customer.headers)).json()
    assert done["source"] == "completed" and done["sla_risk"] == "on_track"


async def test_support_resolves_a_callback_request_once(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    order_id, customer = await order_for(client, factory, session_factory, settings, "H-9")
    cb = await client.post(
        f"/work-orders/{order_id}/callback-requests", json={"reason": "Call me"}, headers=customer.headers
    )
    assert cb.status_code == 201, cb.text
    callback_id = cb.json()["id"]
    resolve = f"/callback-requests/{callback_id}/resolve"
    assert_problem(
        await client.post(resolve, json={"outcome": "x"}, headers=customer.headers), 403, "forbidden"
    )
    agent = await factory.login(Role.AGENT)
    assert_problem(
        await client.post(resolve, json={"outcome": ""}, headers=agent.headers), 422, "validation-failed"
    )
    done = await client.post(resolve, json={"outcome": "Moved to Friday morning"}, headers=agent.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved" and done.json()["resolved_at"]
    assert done.json()["context"]["resolution"]["outcome"] == "Moved to Friday morning"
    again = await client.post(resolve, json={"outcome": "something else"}, headers=agent.headers)
    assert again.status_code == 200 and again.json() == done.json()  # a retry changes nothing
    unknown = f"/callback-requests/{uuid.uuid4()}/resolve"
    assert_problem(await client.post(unknown, json={"outcome": "x"}, headers=agent.headers), 404, "not-found")
    open_now = (await client.get("/callback-requests?status=open", headers=agent.headers)).json()
    assert callback_id not in [c["id"] for c in open_now]
    history = (await client.get(f"/work-orders/{order_id}", headers=agent.headers)).json()["events"]
    assert [e["kind"] for e in history].count("callback_resolved") == 1
