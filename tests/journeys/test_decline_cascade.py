"""(e) An urgent visit: the first technician offered declines, the cascade continues to the
next, who accepts; every technician who was offered or ranked but not chosen gets a receipt
(missed offers) saying why.

Public doors only (HTTP, the SMTP mailbox, the workers); the first admin comes from
`fieldhand create-admin`'s code path (`api.cli.cmd_create_admin`), everything else over HTTP.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from marketplace.settings import Settings
from tests.journeys.conftest import Worker
from tests.journeys.doors import Headers, M, catalog, escalate, first_admin, ok, staff, technician
from tests.mailbox import Mailbox

pytestmark = pytest.mark.clock


async def pending_for(http: AsyncTestClient, tech: Headers, order_id: str) -> list[dict[str, object]]:
    offers = ok(await http.get(f"{M}/offers", params={"status": "pending"}, headers=tech))["items"]
    return [o for o in offers if o["job"]["work_order_id"] == order_id]


async def test_a_decline_moves_the_cascade_on_and_the_others_get_receipts(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, journey_settings: Settings
) -> None:
    admin = await first_admin(http, journey_settings)
    agent = await staff(http, worker, mailbox, admin, "agent@fieldhand.test", "agent")
    await catalog(http, admin)
    techs: dict[str, Headers] = {}
    for i, at in enumerate([(52.3650, 4.8950), (52.3550, 4.9100), (52.3400, 4.9300)]):
        tech_id, headers = await technician(http, admin, f"tech{i}@fixers.test", at=at)
        techs[tech_id] = headers

    order = (await escalate(http, agent, "T-500", "dee@example.test", priority=1))["work_order"]
    await worker.settle()

    offered_first = [t for t, h in techs.items() if await pending_for(http, h, order["id"])]
    assert len(offered_first) == 1, "the urgent cascade offers the job to one technician first"
    decliner = offered_first[0]
    [offer] = await pending_for(http, techs[decliner], order["id"])
    declined = ok(
        await http.post(
            f"{M}/offers/{offer['id']}/decline", json={"reason": "van in the garage"}, headers=techs[decliner]
        )
    )
    assert declined["decline_reason"] == "van in the garage"
    await worker.settle()

    for _ in range(3):  # the next round may also need a moment (a worker's next pass)
        others = [t for t, h in techs.items() if t != decliner and await pending_for(http, h, order["id"])]
        if others:
            break
        await worker.periodic("dispatch.instant_sweep")
    assert others, "after the decline the cascade offers someone else"
    winner = others[0]
    [offer] = await pending_for(http, techs[winner], order["id"])
    assert (
        ok(await http.post(f"{M}/offers/{offer['id']}/accept", headers=techs[winner]))["status"] == "accepted"
    )
    await worker.settle()

    assert ok(await http.get(f"/work-orders/{order['id']}", headers=agent))["technician_id"] == winner
    for tech_id, headers in techs.items():
        missed = ok(await http.get(f"{M}/missed-offers", headers=headers))["items"]
        mine = [m for m in missed if m["work_order_id"] == order["id"]]
        if tech_id == winner:
            assert mine == []
        else:
            assert mine, f"technician {tech_id} was offered or ranked but got no receipt"
            assert winner not in str(mine)  # a receipt never names the other technician
            if tech_id == decliner:
                assert [m["reason_code"] for m in mine] == ["declined"], mine
