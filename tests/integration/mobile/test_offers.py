"""Offers: one winner under a race, why-you / why-not-you, declines and expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.offers.answers import expire_due_offers
from marketplace.offers.models import MissedOffer, Offer
from marketplace.outbox import sweep_stuck
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.mobile.helpers import (
    AMSTERDAM,
    assert_problem,
    offer_round,
    open_work_order,
    pending_offers,
    ready_technician,
    seed_skills,
)

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

M = "/mobile/v1"


async def test_thirty_concurrent_accepts_one_assignment(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    techs = [
        await ready_technician(factory, lat=AMSTERDAM[0] + i * 0.001, lng=AMSTERDAM[1]) for i in range(30)
    ]
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id, max_offers=30)
    assert len(result.offers) == 30
    offer_of = {o.technician_id: o.id for o in result.offers}

    responses = await asyncio.gather(
        *[client.post(f"{M}/offers/{offer_of[t.technician_id]}/accept", headers=t.headers) for t in techs]
    )
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1, codes
    for r in responses:
        if r.status_code != 200:
            assert_problem(r, 409, "offer-taken")
    winner = techs[codes.index(200)]

    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert (
            order is not None and order.status == "assigned" and order.technician_id == winner.technician_id
        )
        statuses = (
            (await s.execute(select(Offer.status).where(Offer.work_order_id == order_id))).scalars().all()
        )
        assert sorted(statuses).count("accepted") == 1 and statuses.count("withdrawn") == 29
        receipts = (
            (await s.execute(select(MissedOffer).where(MissedOffer.work_order_id == order_id)))
            .scalars()
            .all()
        )
        assert len(receipts) == 29 and all(r.technician_id != winner.technician_id for r in receipts)

    # the losers see "why not you" without the winner's identity
    loser = techs[codes.index(409)]
    missed = (await client.get(f"{M}/missed-offers", headers=loser.headers)).json()["items"]
    assert len(missed) == 1 and missed[0]["work_order_id"] == str(order_id)
    assert "another technician" in missed[0]["reason"]
    assert str(winner.technician_id) not in str(missed)
    # a withdrawn offer cannot be accepted later either
    late = await client.post(f"{M}/offers/{offer_of[loser.technician_id]}/accept", headers=loser.headers)
    assert_problem(late, 409, "offer-taken")


async def test_accepts_race_on_one_database_constraint(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Even without the order lock, the partial unique index refuses a second accepted offer."""
    await seed_skills(session_factory, "hvac.repair")
    # rows only: two accepted offers for one order must be impossible
    async with session_factory() as s:
        from marketplace.customers.models import Customer

        customer = Customer(name="c")
        s.add(customer)
        await s.flush()
        order = WorkOrder(
            source="api",
            customer_id=customer.id,
            lat=1,
            lng=1,
            summary="x",
            status="offered",
            price_minor=9_000,
            fee_minor=1_350,
        )
        s.add(order)
        await s.flush()
        from marketplace.technicians.models import Technician

        a, b = (
            Technician(display_name="a", home_lat=1, home_lng=1),
            Technician(display_name="b", home_lat=1, home_lng=1),
        )
        s.add_all([a, b])
        await s.flush()
        s.add(Offer(work_order_id=order.id, technician_id=a.id, status="accepted", expires_at=utcnow()))
        await s.flush()
        s.add(Offer(work_order_id=order.id, technician_id=b.id, status="accepted", expires_at=utcnow()))
        try:
            await s.flush()
            raise AssertionError("second accepted offer was written")
        except sa.exc.IntegrityError:
            await s.rollback()


async def test_why_you_and_why_not_you(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    near = await ready_technician(factory, lat=AMSTERDAM[0], lng=AMSTERDAM[1])
    far = await ready_technician(factory, lat=AMSTERDAM[0] - 0.06, lng=AMSTERDAM[1])
    lapsed = await ready_technician(
        factory, lat=AMSTERDAM[0], lng=AMSTERDAM[1], certifications={"gas_safe": utcnow() - timedelta(days=1)}
    )
    order_id = await open_work_order(
        session_factory, lat=AMSTERDAM[0] + 0.005, lng=AMSTERDAM[1], certifications=None
    )
    gas_order = await open_work_order(session_factory, certifications=["gas_safe"], summary="Gas leak check")
    result = await offer_round(session_factory, order_id, max_offers=1)
    assert [o.technician_id for o in result.offers] == [near.technician_id]
    await offer_round(session_factory, gas_order, max_offers=1)

    offer = (await pending_offers(client, near))[0]
    assert offer["why_you"][0].endswith("away")
    assert offer["travel_m"] > 0

    far_missed = (await client.get(f"{M}/missed-offers", headers=far.headers)).json()["items"]
    reasons = {m["work_order_id"]: m["reason"] for m in far_missed}
    assert "closer" in reasons[str(order_id)], reasons
    lapsed_missed = (await client.get(f"{M}/missed-offers", headers=lapsed.headers)).json()["items"]
    assert any(m["reason"] == "certification gas_safe expired" for m in lapsed_missed), lapsed_missed


async def test_decline_is_recorded_and_next_round_asks_someone_else(
    client: AsyncTestClient,
    factory: Factory,
    app: Litestar,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    first = await ready_technician(factory)
    second = await ready_technician(factory, lat=AMSTERDAM[0] - 0.03)
    order_id = await open_work_order(session_factory)
    await offer_round(session_factory, order_id, max_offers=1)
    offer = (await pending_offers(client, first))[0]
    declined = await client.post(
        f"{M}/offers/{offer['id']}/decline", json={"reason": "van in the garage"}, headers=first.headers
    )
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "van in the garage"
    again = await client.post(f"{M}/offers/{offer['id']}/decline", json={}, headers=first.headers)
    assert again.status_code == 200 and again.json()["decline_reason"] == "van in the garage"
    assert_problem(
        await client.post(f"{M}/offers/{offer['id']}/accept", headers=first.headers), 409, "offer-not-pending"
    )

    # offers.next_round runs on the queue after the decline commits. The in-process runner
    # can drop a delivery that races the "pushed" mark (row locked -> BUSY); the sweeper
    # re-pushes it, which we trigger at once instead of waiting for its 30 s tick.
    offers: list[dict[str, Any]] = []
    for _ in range(50):
        offers = await pending_offers(client, second)
        if offers:
            break
        await asyncio.sleep(0.1)
        await sweep_stuck(session_factory, app.state.queue, stuck_after_s=0, now=utcnow())
    assert [o["job"]["work_order_id"] for o in offers] == [str(order_id)]
    assert await pending_offers(client, first) == []


async def test_expired_offer_cannot_be_accepted(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    tech = await ready_technician(factory)
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id)
    async with session_factory() as s:
        await s.execute(
            sa.update(Offer)
            .where(col(Offer.id) == result.offers[0].id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await s.commit()
    assert await pending_offers(client, tech) == []
    listed = (await client.get(f"{M}/offers", params={"status": "expired"}, headers=tech.headers)).json()[
        "items"
    ]
    assert [o["status"] for o in listed] == ["expired"]
    assert_problem(
        await client.post(f"{M}/offers/{result.offers[0].id}/accept", headers=tech.headers),
        409,
        "offer-expired",
    )

    # the periodic sweep marks it expired for good and leaves a receipt
    async with unit_of_work(session_factory) as s:
        assert await expire_due_offers(s, now=utcnow()) == 1
    again = await client.post(f"{M}/offers/{result.offers[0].id}/accept", headers=tech.headers)
    assert_problem(again, 409, "offer-expired")
    missed = (await client.get(f"{M}/missed-offers", headers=tech.headers)).json()["items"]
    assert [m["reason_code"] for m in missed] == ["offer_expired"]


async def test_suspended_technician_loses_offers(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    from marketplace.users.models import Role

    await seed_skills(session_factory, "hvac.repair")
    admin = await factory.login(Role.ADMIN)
    tech = await ready_technician(factory)
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id)
    suspended = await client.post(
        f"/technicians/{tech.technician_id}/suspend", json={"reason": "complaints"}, headers=admin.headers
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert_problem(
        await client.post(f"{M}/offers/{result.offers[0].id}/accept", headers=tech.headers),
        403,
        "technician-suspended",
    )
    reinstated = await client.post(f"/technicians/{tech.technician_id}/reinstate", headers=admin.headers)
    assert reinstated.json()["status"] == "active"
    assert_problem(
        await client.post(f"{M}/offers/{result.offers[0].id}/accept", headers=tech.headers),
        409,
        "offer-not-pending",
    )
