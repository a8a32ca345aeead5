"""Counter-offers priced against the plan, the fair-dispatch ledger and receipts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.bookings.models import Appointment
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.fairness.ledger import FINAL_KIND_OF_STATUS
from marketplace.fairness.models import FINAL_KINDS, DecisionKind, DispatchDecision
from marketplace.messages.models import Message
from marketplace.offers.answers import expire_due_offers
from marketplace.offers.models import MissedOffer, Offer
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory
from tests.integration.mobile.helpers import (
    AMSTERDAM,
    Tech,
    assert_problem,
    offer_round,
    open_work_order,
    ready_technician,
    seed_skills,
)

M = "/mobile/v1"
# price 12000, fee 2400 -> quoted pay 9600; the platform absorbs up to 1200 (half its fee)


async def _techs(factory: Factory, n: int) -> list[Tech]:
    return [
        await ready_technician(factory, lat=AMSTERDAM[0] + 0.01 + i * 0.02, lng=AMSTERDAM[1] + 0.01)
        for i in range(n)
    ]


async def _offer_of(s: AsyncSession, order_id: uuid.UUID, tech: Tech) -> Offer:
    return (
        await s.execute(
            select(Offer).where(Offer.work_order_id == order_id, Offer.technician_id == tech.technician_id)
        )
    ).scalar_one()


async def test_counter_inside_the_band_is_accepted_and_the_plan_updated(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    near, far = await _techs(factory, 2)
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id, max_offers=1)  # `far` is ranked, not asked
    (offer,) = result.offers
    assert offer.technician_id == near.technician_id

    r = await client.post(
        f"{M}/offers/{offer.id}/counter",
        json={"pay_minor": 9_900, "note": "parking is 3 EUR"},
        headers=near.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["pay"] == {"amount": 9_900, "currency": "eur"}
    assert (
        body["numbers"]["extra_pay_minor"] == 300 and body["numbers"]["alternative_total_minor"] is not None
    )
    again = await client.post(
        f"{M}/offers/{offer.id}/counter", json={"pay_minor": 9_000}, headers=near.headers
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # one counter per offer

    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None and order.status == "assigned" and order.technician_id == near.technician_id
        assert order.price_minor == 12_000 and order.fee_minor == 2_100  # customer's price unchanged
        accepted = await s.get(Offer, offer.id)
        assert accepted is not None and accepted.status == "accepted" and accepted.earnings_minor == 9_900
        appointment = (
            await s.execute(select(Appointment).where(Appointment.work_order_id == order_id))
        ).scalar_one()
        assert appointment.technician_id == near.technician_id
        kinds = [
            d.kind
            for d in (
                await s.execute(select(DispatchDecision).where(DispatchDecision.work_order_id == order_id))
            ).scalars()
        ]
        assert sorted(kinds) == ["countered", "offered", "ranked", "won"]
    # the ranked technician who was never asked gets a receipt, in the app and the inbox
    missed = (await client.get(f"{M}/missed-offers", headers=far.headers)).json()["items"]
    assert len(missed) == 1 and "another technician" in missed[0]["reason"]
    async with session_factory() as s:
        notes = (
            (await s.execute(select(Message).where(Message.template == "missed_offer_notice")))
            .scalars()
            .all()
        )
        assert len(notes) == 1


async def test_counter_outside_the_band_is_declined_with_reason_and_numbers(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    near, _far = await _techs(factory, 2)
    order_id = await open_work_order(session_factory)
    (offer,) = (await offer_round(session_factory, order_id, max_offers=1)).offers

    r = await client.post(f"{M}/offers/{offer.id}/counter", json={"pay_minor": 12_000}, headers=near.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "declined"
    assert (
        "another qualified technician can arrive" in body["reason"] and "EUR less in total" in body["reason"]
    )
    n = body["numbers"]
    assert n["counter_total_minor"] > n["best_alternative_minor"] * 1.2
    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None and order.status == "offered" and order.fee_minor == 2_400
        still = await s.get(Offer, offer.id)
        assert still is not None and still.status == "pending" and still.earnings_minor == 9_600
    # out of range: more than the job's price
    too_much = await client.post(
        f"{M}/offers/{offer.id}/counter", json={"pay_minor": 13_000}, headers=near.headers
    )
    assert too_much.status_code == 200  # the first answer stands for this offer
    assert too_much.json()["status"] == "declined"


async def test_counter_between_bands_waits_for_a_dispatcher(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    near, _far = await _techs(factory, 2)
    order_id = await open_work_order(session_factory)
    (offer,) = (await offer_round(session_factory, order_id, max_offers=1)).offers
    r = await client.post(f"{M}/offers/{offer.id}/counter", json={"pay_minor": 10_900}, headers=near.headers)
    assert r.status_code == 200 and r.json()["status"] == "queued", r.text

    dispatcher = await factory.login(Role.DISPATCHER)
    assert (await client.get("/dispatch/counter-offers", headers=near.headers)).status_code == 403
    queue = (await client.get("/dispatch/counter-offers", headers=dispatcher.headers)).json()["items"]
    assert [c["id"] for c in queue] == [r.json()["id"]] and queue[0]["numbers"]["counter_total_minor"] > 0
    decided = await client.post(
        f"/dispatch/counter-offers/{queue[0]['id']}/decision",
        json={"decision": "accept", "reason": "regular customer"},
        headers=dispatcher.headers,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "accepted", decided.text
    other = await client.post(
        f"/dispatch/counter-offers/{queue[0]['id']}/decision",
        json={"decision": "decline"},
        headers=dispatcher.headers,
    )
    assert_problem(other, 409, "counter-already-decided")
    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert (
            order is not None
            and order.technician_id == near.technician_id
            and order.fee_minor == 12_000 - 10_900
        )


@pytest.mark.parametrize("attempt", range(3))
async def test_concurrent_accept_and_counter_have_one_winner(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession], attempt: int
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    near, far = await _techs(factory, 2)
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id, max_offers=2)
    offer_of = {o.technician_id: o.id for o in result.offers}
    counter, accept = await asyncio.gather(
        client.post(
            f"{M}/offers/{offer_of[near.technician_id]}/counter",
            json={"pay_minor": 9_700},
            headers=near.headers,
        ),
        client.post(f"{M}/offers/{offer_of[far.technician_id]}/accept", headers=far.headers),
    )
    counter_won = counter.status_code == 200 and counter.json()["status"] == "accepted"
    accept_won = accept.status_code == 200
    assert counter_won != accept_won, (counter.text, accept.text)
    if counter_won:
        assert_problem(accept, 409, "offer-taken")
    else:
        assert_problem(counter, 409, "offer-taken")
    async with session_factory() as s:
        accepted = (
            await s.execute(
                select(sa.func.count())
                .select_from(Offer)
                .where(Offer.work_order_id == order_id, Offer.status == "accepted")
            )
        ).scalar_one()
        assert accepted == 1
        order = await s.get(WorkOrder, order_id)
        winner = near if counter_won else far
        assert order is not None and order.technician_id == winner.technician_id


async def test_ledger_accounts_for_every_offer_and_everyone_offered_gets_a_receipt(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    techs = await _techs(factory, 6)
    order_id = await open_work_order(session_factory)
    now = utcnow()
    first = (await offer_round(session_factory, order_id, max_offers=2, now=now)).offers
    # one declines, the other lets it expire
    r = await client.post(
        f"{M}/offers/{first[0].id}/decline", json={"reason": "busy"}, headers=_tech(techs, first[0]).headers
    )
    assert r.status_code == 200
    async with unit_of_work(session_factory) as s:
        assert await expire_due_offers(s, now=now + timedelta(hours=1)) == 1
    second = (await offer_round(session_factory, order_id, max_offers=3)).offers
    assert len(second) == 3
    won = await client.post(f"{M}/offers/{second[1].id}/accept", headers=_tech(techs, second[1]).headers)
    assert won.status_code == 200, won.text

    async with session_factory() as s:
        offers = (await s.execute(select(Offer).where(Offer.work_order_id == order_id))).scalars().all()
        decisions = (
            (await s.execute(select(DispatchDecision).where(DispatchDecision.work_order_id == order_id)))
            .scalars()
            .all()
        )
        for offer in offers:
            mine = [d for d in decisions if d.offer_id == offer.id]
            finals = [d.kind for d in mine if d.kind in FINAL_KINDS]
            assert [d.kind for d in mine if d.kind == DecisionKind.OFFERED] == ["offered"]
            expected = FINAL_KIND_OF_STATUS[offer.status]
            if offer.status == "withdrawn":
                expected = DecisionKind.LOST
            assert finals == [expected], (offer.status, finals)
        receipts = {m.technician_id: m for m in (await s.execute(select(MissedOffer))).scalars()}
        winner = second[1].technician_id
        for offer in offers:
            if offer.technician_id != winner:
                assert offer.technician_id in receipts, offer.status
        assert winner not in receipts
        assert receipts[first[0].technician_id].reason == "you declined the offer"
        # the ledger is append-only
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            await s.execute(sa.update(DispatchDecision).values(reason="rewritten"))
    # every offered loser can read theirs
    for offer in offers:
        if offer.technician_id != winner:
            items = (await client.get(f"{M}/missed-offers", headers=_tech(techs, offer).headers)).json()[
                "items"
            ]
            assert [i["work_order_id"] for i in items] == [str(order_id)]


async def test_fairness_endpoint_reads_the_ledger(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    techs = await _techs(factory, 3)
    order_id = await open_work_order(session_factory)
    offers = (await offer_round(session_factory, order_id, max_offers=2)).offers
    won = await client.post(f"{M}/offers/{offers[0].id}/accept", headers=_tech(techs, offers[0]).headers)
    assert won.status_code == 200
    dispatcher = await factory.login(Role.DISPATCHER)
    now = utcnow()
    r = await client.get(
        "/dispatch/regions/default/fairness",
        params={
            "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
        },
        headers=dispatcher.headers,
    )
    assert r.status_code == 200, r.text
    f = r.json()
    assert (f["offered"], f["won"], f["earnings_minor"]) == (2, 1, 9_600)
    assert len(f["technicians"]) == 3  # the third was ranked: qualified and available
    by_id = {t["technician_id"]: t for t in f["technicians"]}
    assert by_id[str(offers[0].technician_id)]["win_share"] == 1.0
    assert f["gini_earnings"] == pytest.approx(2 / 3)  # (0, 0, 9600)


def _tech(techs: list[Tech], offer: Offer) -> Tech:
    return next(t for t in techs if t.technician_id == offer.technician_id)
