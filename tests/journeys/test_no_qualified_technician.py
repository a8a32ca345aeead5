"""(c) No qualified technician is free in time: the customer is shown an honest later slot
(never the wrong skill sooner), the order waits in needs_callback, the customer asks for a
human and support resolves the request.

Public doors only (HTTP, the SMTP mailbox, the workers); the first admin comes from
`fieldhand create-admin`'s code path (`api.cli.cmd_create_admin`), everything else over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from marketplace.settings import Settings
from tests.journeys.conftest import Worker
from tests.journeys.doors import catalog, customer_from_mail, escalate, first_admin, ok, staff, technician
from tests.mailbox import Mailbox

pytestmark = pytest.mark.clock

BEA = "bea@example.test"


async def test_honest_later_slot_and_a_callback_support_resolves(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, journey_settings: Settings
) -> None:
    admin = await first_admin(http, journey_settings)
    agent = await staff(http, worker, mailbox, admin, "agent@fieldhand.test", "agent")
    await catalog(http, admin)
    right, _ = await technician(http, admin, "right@fixers.test", hours=(72, 76))
    await technician(http, admin, "wrong@fixers.test", skills={"hvac.repair": 1}, hours=(-1, 47))

    now = datetime.now(UTC)
    due = (now + timedelta(hours=8)).replace(microsecond=0)
    order = (await escalate(http, agent, "T-200", BEA, priority=1, sla_due_at=due.isoformat()))["work_order"]
    assert (order["status"], order["sla_risk"]) == ("needs_callback", "at_risk")
    customer = await customer_from_mail(http, worker, mailbox, BEA)

    base = f"/work-orders/{order['id']}"
    slots = ok(await http.get(f"{base}/slots", headers=customer))
    assert slots["availability"] == "sla_at_risk" and slots["sla_attainable"] is False
    assert all(not s["meets_sla"] for s in slots["slots"])
    earliest = slots["earliest"]
    assert datetime.fromisoformat(earliest["earliest_arrival"]) >= now + timedelta(hours=71)

    ask = {"reason": "Can nobody come sooner?"}
    callback = ok(await http.post(f"{base}/callback-requests", json=ask, headers=customer), 201)
    open_requests = ok(await http.get("/callback-requests", params={"status": "open"}, headers=agent))
    assert callback["id"] in [c["id"] for c in open_requests]

    outcome = {"outcome": "Explained the wait; booked the earliest qualified visit"}
    resolved = ok(
        await http.post(f"/callback-requests/{callback['id']}/resolve", json=outcome, headers=agent)
    )
    assert resolved["status"] == "resolved"
    open_requests = ok(await http.get("/callback-requests", params={"status": "open"}, headers=agent))
    assert callback["id"] not in [c["id"] for c in open_requests]

    ok(await http.put("/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer))
    window = {"window_start": earliest["start"], "window_end": earliest["end"]}
    booked = ok(await http.post(f"{base}/appointment", json=window, headers=customer), 201)
    assert booked["meets_sla"] is False
    assert booked["appointment"]["technician_id"] == right  # never the wrong skill sooner
    events = ok(await http.get(base, headers=agent))["events"]
    assert [e["kind"] for e in events].count("callback_resolved") == 1
