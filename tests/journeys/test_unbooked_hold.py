"""(f) A P4 visit nobody books: the earliest window that meets the SLA is held for the
customer, who is told so; the hold is confirmed automatically, the card authorised, the
visit dispatched and done, and the card captured.

The hold policy is the operator's `FIELDHAND_DISPATCH_HOLD_*` settings (set here so the hold
is due at once). Public doors only (HTTP, the SMTP mailbox, the Stripe test server, the
workers); the first admin comes from `fieldhand create-admin`'s code path
(`api.cli.cmd_create_admin`), everything else over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from marketplace.settings import Settings
from tests.journeys.conftest import Worker
from tests.journeys.doors import M, catalog, customer_from_mail, escalate, first_admin, ok, staff, technician
from tests.mailbox import Mailbox

pytestmark = pytest.mark.clock

FAY = "fay@example.test"


async def templates(http: AsyncTestClient, headers: dict[str, str]) -> list[str]:
    return [m["template"] for m in ok(await http.get("/messages", headers=headers))["items"]]


async def test_an_unbooked_p4_gets_a_held_window_and_is_done(
    http: AsyncTestClient,
    worker: Worker,
    mailbox: Mailbox,
    journey_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIELDHAND_DISPATCH_HOLD_AFTER_S", '{"standard:4": 0}')
    monkeypatch.setenv("FIELDHAND_DISPATCH_HOLD_CONFIRM_AFTER_S", "0")
    monkeypatch.setenv("FIELDHAND_DISPATCH_HOLD_CONFIRM_LEAD_S", "0")
    admin = await first_admin(http, journey_settings)
    agent = await staff(http, worker, mailbox, admin, "agent@fieldhand.test", "agent")
    dispatcher = await staff(http, worker, mailbox, admin, "dispatch@fieldhand.test", "dispatcher")
    await catalog(http, admin)
    tech_id, tech = await technician(http, admin, "sam@fixers.test", hours=(-1, 47))

    order = (await escalate(http, agent, "T-600", FAY, priority=4))["work_order"]
    assert order["status"] == "triaged"
    customer = await customer_from_mail(http, worker, mailbox, FAY)
    ok(await http.put("/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer))
    mails_before = len(mailbox.to(FAY))

    # the customer does not book: the worker holds the earliest window and tells them
    await worker.periodic("bookings.hold_unbooked")
    base = f"/work-orders/{order['id']}"
    held = ok(await http.get(base, headers=customer))["appointment"]
    assert held is not None and held["held_until"] is not None and held["technician_id"] == tech_id
    assert datetime.fromisoformat(held["window_start"]) >= datetime.now(UTC) + timedelta(hours=2, minutes=59)
    assert "slot_held" in await templates(http, customer)
    assert len(mailbox.wait_for(FAY, count=mails_before + 1)) > mails_before

    # nobody picks another window: the hold is confirmed and the card authorised
    await worker.periodic("bookings.hold_unbooked")
    got = ok(await http.get(base, headers=customer))
    assert got["status"] == "scheduled" and got["appointment"]["id"] == held["id"]
    assert got["appointment"]["held_until"] is None
    assert "booking_confirmation" in await templates(http, customer)
    assert ok(await http.get(f"{base}/payment", headers=customer))["status"] == "authorized"

    # dispatch, accept, the visit, capture
    ok(await http.post("/dispatch/regions/default/runs", headers=dispatcher))
    await worker.settle()
    offers = ok(await http.get(f"{M}/offers", params={"status": "pending"}, headers=tech))["items"]
    [offer] = [o for o in offers if o["job"]["work_order_id"] == order["id"]]
    ok(await http.post(f"{M}/offers/{offer['id']}/accept", headers=tech))
    visit = f"{M}/visits/{order['id']}/status"
    for step in ("en_route", "on_site"):
        ok(await http.post(visit, json={"status": step}, headers=tech))
    done = {"status": "completed", "notes": "Bled the radiators", "time_spent_s": 1800}
    ok(await http.post(visit, json=done, headers=tech))
    await worker.settle()
    assert ok(await http.get(base, headers=customer))["status"] == "completed"
    assert ok(await http.get(f"{base}/payment", headers=customer))["status"] == "captured"
