"""(b) A customer signs up, asks for a visit, gets the remote fix first, says "I still need a
visit", books, and the card is authorised.

Public doors only (HTTP, the SMTP mailbox, the Stripe test server, the workers); the first
admin comes from `fieldhand create-admin`'s code path (`api.cli.cmd_create_admin`),
everything else over HTTP.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from marketplace.settings import Settings
from tests.journeys.conftest import Worker
from tests.journeys.doors import PASSWORD, catalog, first_admin, mailed_token, ok, sign_in, technician
from tests.mailbox import Mailbox

pytestmark = pytest.mark.clock

EVE = "eve@example.test"


async def test_remote_fix_first_then_i_still_need_a_visit(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, journey_settings: Settings
) -> None:
    admin = await first_admin(http, journey_settings)
    await catalog(http, admin)
    await technician(http, admin, "sam@fixers.test")

    ok(await http.post("/customers/signup", json={"email": EVE, "name": "Eve", "password": PASSWORD}), 202)
    await worker.settle()
    ok(await http.post("/auth/verify-email", json={"token": mailed_token(mailbox, EVE, "verify-email")}))
    customer = await sign_in(http, EVE)

    ask = {
        "category": "thermostat-wifi",
        "description": "Thermostat shows no Wi-Fi and the heating stays off",
        "location": {"lat": 52.3700, "lng": 4.8900},
        "steps_tried": ["restarted the router"],
    }
    remote = ok(await http.post("/service-requests", json=ask, headers=customer))
    assert remote["outcome"] == "resolve_remotely" and remote["work_order"] is None
    assert remote["knowledge_base_hint"].startswith("KB-112")
    assert ok(await http.get("/work-orders", headers=customer))["items"] == []

    visit = ok(
        await http.post("/service-requests", json={**ask, "insist_on_visit": True}, headers=customer), 201
    )
    order = visit["work_order"]
    assert (visit["outcome"], order["source"]) == ("created", "booking")
    assert order["sla_due_at"] is not None

    base = f"/work-orders/{order['id']}"
    ok(await http.put("/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer))
    slots = ok(await http.get(f"{base}/slots", headers=customer))
    assert slots["availability"] == "available", slots
    first = slots["slots"][0]
    window = {"window_start": first["start"], "window_end": first["end"]}
    booked = ok(await http.post(f"{base}/appointment", json=window, headers=customer), 201)
    assert booked["work_order_status"] == "scheduled"
    await worker.settle()
    payment = ok(await http.get(f"{base}/payment", headers=customer))
    assert payment["status"] == "authorized" and payment["authorized"]["amount"] == order["price"]["amount"]
