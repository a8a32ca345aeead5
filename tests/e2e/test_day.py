"""A whole marketplace day, end to end, through the real API and real arq workers."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlmodel import col, select

from marketplace.db import unit_of_work
from marketplace.ledger import repository as ledger_repo
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer
from marketplace.payments.models import Payment
from marketplace.payments.stripe_gateway import build_gateway
from marketplace.payouts.models import Payout
from marketplace.settings import Settings
from marketplace.technicians.models import Technician
from marketplace.users.models import Role
from tests.e2e.helpers import (
    SF,
    customer,
    escalation,
    failed_tasks,
    run_worker,
    seed_catalog,
    technician,
    tomorrow_local,
)
from tests.factories import Factory
from tests.integration.money.helpers import complete_onboarding

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

M = "/mobile/v1"


async def test_escalation_to_payout_and_rating(
    e2e_client: AsyncTestClient,
    e2e_settings: Settings,
    factory: Factory,
    session_factory: SF,
    stripe_server: str,
) -> None:
    client = e2e_client
    await seed_catalog(session_factory)
    shift = [(tomorrow_local(6), tomorrow_local(20))]
    tech = await technician(session_factory, e2e_settings, name="Tara", at=(52.36, 4.90), shifts=shift)
    await technician(session_factory, e2e_settings, name="Far Frank", at=(52.45, 4.80), shifts=shift)
    await technician(session_factory, e2e_settings, name="Junior", at=(52.37, 4.89), shifts=shift, level=1)
    tech_id = tech.user.technician_id
    assert tech_id is not None
    # the technician's Stripe Connect account is ready (onboarding is tested with the money tests)
    account = await build_gateway(e2e_settings).create_express_account(
        email=None, country=None, metadata={}, idempotency_key=f"account-{tech_id}"
    )
    await complete_onboarding(stripe_server, account)
    async with unit_of_work(session_factory) as s:
        row = await s.get(Technician, tech_id)
        assert row is not None
        row.stripe_account_id, row.payouts_enabled = account, True

    agent = await factory.login(Role.AGENT)
    dispatcher = await factory.login(Role.DISPATCHER)
    cust = await customer(session_factory, e2e_settings, "C-1")

    # agent escalates -> triaged
    r = await client.post("/escalations", json=escalation("T-1", "C-1", priority=3), headers=agent.headers)
    assert r.status_code == 201, r.text
    order = r.json()["work_order"]
    assert order["status"] == "triaged"
    order_id = order["id"]

    # customer books a slot
    slots = (await client.get(f"/work-orders/{order_id}/slots", headers=cust.headers)).json()
    slot = next(s for s in slots["slots"] if s["meets_sla"])
    r = await client.post(
        f"/work-orders/{order_id}/appointment",
        json={"window_start": slot["start"], "window_end": slot["end"]},
        headers=cust.headers,
    )
    assert r.status_code == 201, r.text
    await run_worker(e2e_settings)  # payment authorisation against the Stripe server
    async with session_factory() as s:
        payment = (
            await s.execute(select(Payment).where(col(Payment.work_order_id) == order_id))
        ).scalar_one()
        assert payment.status == "authorized", payment.status

    # dispatcher runs dispatch for the region: a targeted offer to the best technician
    r = await client.post("/dispatch/regions/default/runs", headers=dispatcher.headers)
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["offered"] == 1 and run["open_orders"] == 1, run
    assert run["decisions"][0]["technician_id"] == str(tech_id)
    again = (await client.post("/dispatch/regions/default/runs", headers=dispatcher.headers)).json()
    assert again["offered"] == 0 and again["open_orders"] == 0  # running twice offers nothing new
    forbidden = await client.post("/dispatch/regions/default/runs", headers=agent.headers)
    assert forbidden.status_code == 403
    await run_worker(e2e_settings)

    # technician accepts and works the visit
    offers = (await client.get(f"{M}/offers", params={"status": "pending"}, headers=tech.headers)).json()[
        "items"
    ]
    assert [o["job"]["work_order_id"] for o in offers] == [order_id], offers
    r = await client.post(f"{M}/offers/{offers[0]['id']}/accept", headers=tech.headers)
    assert r.status_code == 200, r.text
    plan = (await client.get("/dispatch/regions/default/plan", headers=dispatcher.headers)).json()
    mine = next(t for t in plan["technicians"] if t["technician_id"] == str(tech_id))
    assert [s["work_order_id"] for s in mine["stops"]] == [order_id]
    for step in ("en_route", "on_site"):
        r = await client.post(f"{M}/visits/{order_id}/status", json={"status": step}, headers=tech.headers)
        assert r.status_code == 200, r.text
    r = await client.post(
        f"{M}/visits/{order_id}/status",
        json={"status": "completed", "notes": "replaced the igniter", "time_spent_s": 3000},
        headers=tech.headers,
    )
    assert r.status_code == 200, r.text
    await run_worker(e2e_settings)  # capture, payout transfer, notifications, webhooks

    async with session_factory() as s:
        payment = (
            await s.execute(select(Payment).where(col(Payment.work_order_id) == order_id))
        ).scalar_one()
        assert payment.status == "captured", (payment.status, await failed_tasks(session_factory))
        payout = (await s.execute(select(Payout).where(col(Payout.work_order_id) == order_id))).scalar_one()
        assert payout.status == "paid", (payout.status, await failed_tasks(session_factory))
        assert await ledger_repo.unbalanced_correlations(s) == []
        accepted = (
            (await s.execute(select(Offer).where(col(Offer.work_order_id) == order_id))).scalars().all()
        )
        assert [o.status for o in accepted] == ["accepted"]
        kinds = set((await s.execute(select(Notification.kind))).scalars())
        assert {"offer.new", "visit.en_route", "visit.completed"} <= kinds

    # customer review updates the technician's rating
    r = await client.post(
        f"/work-orders/{order_id}/review", json={"stars": 5, "comment": "great"}, headers=cust.headers
    )
    assert r.status_code in (200, 201), r.text
    async with session_factory() as s:
        row = await s.get(Technician, tech_id)
        assert row is not None and (row.rating_count, row.rating_sum) == (1, 5)
