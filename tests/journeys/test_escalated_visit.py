"""(a) An agent escalates a ticket and the visit happens, is paid and rated, end to end.

Only public doors: HTTP (staff, customer and mobile APIs), the SMTP mailbox, the Stripe test
server and its signed webhooks, and the workers. The first admin is made by
`fieldhand create-admin`'s own code path (`api.cli.cmd_create_admin`); every other account,
skill, category and shift is created over HTTP.
"""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from marketplace.settings import Settings
from tests.journeys.conftest import Worker
from tests.journeys.doors import (
    M,
    catalog,
    customer_from_mail,
    escalate,
    first_admin,
    ok,
    onboard_payouts,
    staff,
    technician,
)
from tests.mailbox import Mailbox

pytestmark = pytest.mark.clock

ADA = "ada@example.test"


async def test_escalation_to_paid_and_rated_visit(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, journey_settings: Settings, stripe_server: str
) -> None:
    admin = await first_admin(http, journey_settings)
    agent = await staff(http, worker, mailbox, admin, "agent@fieldhand.test", "agent")
    dispatcher = await staff(http, worker, mailbox, admin, "dispatch@fieldhand.test", "dispatcher")
    await catalog(http, admin)
    tech_id, tech = await technician(http, admin, "sam@fixers.test")
    await onboard_payouts(http, worker, stripe_server, tech)

    # the agent escalates; the customer gets an e-mail with a sign-in link
    order = (await escalate(http, agent, "T-100", ADA))["work_order"]
    customer = await customer_from_mail(http, worker, mailbox, ADA)
    assert [o["id"] for o in ok(await http.get("/work-orders", headers=customer))["items"]] == [order["id"]]

    # slots -> card -> book -> the card is authorised
    base = f"/work-orders/{order['id']}"
    slots = ok(await http.get(f"{base}/slots", headers=customer))["slots"]
    assert slots, "a qualified technician is on shift: there must be slots"
    ok(await http.put("/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer))
    slot = slots[0]
    booked = await http.post(
        f"{base}/appointment",
        json={"window_start": slot["start"], "window_end": slot["end"]},
        headers=customer,
    )
    assert booked.status_code in (200, 201), booked.text
    await worker.settle()
    payment = ok(await http.get(f"{base}/payment", headers=customer))
    assert payment["status"] == "authorized" and payment["authorized"]["amount"] > 0, payment

    # dispatch run -> the technician is offered the job and accepts on the mobile API
    run = ok(await http.post("/dispatch/regions/default/runs", headers=dispatcher))
    assert any(d["work_order_id"] == order["id"] for d in run["decisions"]), run
    await worker.settle()
    offers = ok(await http.get(f"{M}/offers", params={"status": "pending"}, headers=tech))["items"]
    [offer] = [o for o in offers if o["job"]["work_order_id"] == order["id"]]
    assert ok(await http.post(f"{M}/offers/{offer['id']}/accept", headers=tech))["status"] == "accepted"
    eta = ok(await http.get(f"{base}/eta", headers=customer))
    assert eta["source"] == "planned" and eta["status"] == "assigned", eta

    # on the way: the customer is mailed the ETA
    visit = f"{M}/visits/{order['id']}/status"
    ok(await http.post(visit, json={"status": "en_route"}, headers=tech))
    await worker.settle()
    on_the_way = [m for m in mailbox.wait_for(ADA, count=2) if "on the way" in (m.subject + m.body).lower()]
    assert on_the_way, [m.subject for m in mailbox.to(ADA)]
    assert re.search(r"ETA \d\d:\d\d", on_the_way[-1].subject), on_the_way[-1].subject

    ok(await http.post(visit, json={"status": "on_site"}, headers=tech))
    done = {
        "status": "completed",
        "notes": "Replaced sensor",
        "time_spent_s": 2700,
        "customer_signoff_name": "Ada",
    }
    ok(await http.post(visit, json=done, headers=tech))
    await worker.settle()

    # capture, then payout (hold 0), read by the customer, staff and the technician
    payment = ok(await http.get(f"{base}/payment", headers=customer))
    assert payment["status"] == "captured" and payment["captured"] == payment["authorized"], payment
    assert ok(await http.get(f"{base}/payment", headers=admin))["status"] == "captured"
    await worker.periodic("payouts.sweep_held")
    account = ok(await http.get(f"{M}/payouts/account", headers=tech))
    assert account["paid"]["amount"] > 0 and account["owed"]["amount"] == 0, account

    # both sides rate each other
    ok(
        await http.post(f"{base}/review", json={"stars": 5, "comment": "quick and tidy"}, headers=customer),
        201,
    )
    ok(await http.post(f"{M}/visits/{order['id']}/customer-rating", json={"stars": 4}, headers=tech), 201)
    assert ok(await http.get(f"{M}/me", headers=tech))["id"] == tech_id
