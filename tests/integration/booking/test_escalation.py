"""Support agents: escalation intake, triage, SLA policy, expedite, reads, needs_callback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from marketplace import geocoding
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.booking.helpers import (
    add_technician,
    assert_problem,
    customer_login,
    escalate,
    escalation_body,
    seed_catalog,
    tomorrow,
)
from workers.context import TaskContext
from workers.runner import RunOutcome, execute_task

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)


@pytest.fixture(autouse=True)
async def catalog(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await seed_catalog(session_factory)


async def count(sf: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sf() as s:
        return int((await s.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_escalation_creates_triaged_order_with_context_and_history(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    agent = await factory.login(Role.AGENT)
    r = await escalate(client, agent, "T-1", "C-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "created"
    order = body["work_order"]
    assert order["status"] == "triaged"
    assert order["required_skills"] == [{"code": "hvac.repair", "min_level": 2}]
    assert order["external_ref"] == "zendesk:T-1"
    assert order["context"]["entries"][0]["steps_tried"] == ["reset", "checked pressure"]
    assert order["price"] == {"amount": 12_000, "currency": "eur"}
    # standard tier, P3 default policy: 120 h resolution
    due = datetime.fromisoformat(order["sla_due_at"])
    assert timedelta(hours=119) < due - datetime.now(UTC) <= timedelta(hours=120)

    got = await client.get(f"/work-orders/{order['id']}", headers=agent.headers)
    assert got.status_code == 200, got.text
    detail = got.json()
    kinds = [(e["kind"], e["to_status"]) for e in detail["events"]]
    assert kinds == [("escalated", None), ("transition", "triaged")]
    assert detail["events"][1]["actor_role"] == "agent" and detail["events"][1]["reason"]
    assert detail["sla_risk"] == "on_track"
    assert detail["eta"]["source"] == "earliest_option"


async def test_same_ticket_twice_is_one_work_order_with_context_appended(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    agent = await factory.login(Role.AGENT)
    first = await escalate(client, agent, "T-2", "C-2")
    assert first.status_code == 201
    retry = await escalate(client, agent, "T-2", "C-2")
    assert retry.status_code == 200 and retry.json()["outcome"] == "existing"
    assert retry.json()["context_appended"] is False  # identical content: nothing new
    more = await escalate(
        client,
        agent,
        "T-2",
        "C-2",
        summary="Now also leaking",
        context={"transcript_excerpt": "water on floor"},
    )
    assert more.status_code == 200
    assert more.json()["work_order"]["id"] == first.json()["work_order"]["id"]
    assert more.json()["context_appended"] is True
    entries = more.json()["work_order"]["context"]["entries"]
    assert [e["summary"] for e in entries] == ["Boiler shows error E23 and will not heat", "Now also leaking"]
    assert await count(session_factory, "work_orders") == 1


async def test_concurrent_duplicate_escalations_make_one_work_order(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    agent = await factory.login(Role.AGENT)
    responses = await asyncio.gather(*(escalate(client, agent, "T-race", "C-race") for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and statuses.count(200) == 9, [r.text for r in responses]
    assert len({r.json()["work_order"]["id"] for r in responses}) == 1
    assert await count(session_factory, "work_orders") == 1
    assert await count(session_factory, "customers WHERE external_ref = 'C-race'") == 1


async def test_remote_fixable_category_answers_resolve_remotely_unless_insisted(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    agent = await factory.login(Role.AGENT)
    r = await escalate(client, agent, "T-3", "C-3", category="thermostat-wifi")
    assert r.status_code == 200
    assert r.json()["outcome"] == "resolve_remotely" and "KB-112" in r.json()["knowledge_base_hint"]
    assert r.json()["work_order"] is None
    assert await count(session_factory, "work_orders") == 0
    insisted = await escalate(client, agent, "T-3", "C-3", category="thermostat-wifi", insist_on_visit=True)
    assert insisted.status_code == 201 and insisted.json()["outcome"] == "created"


async def test_escalation_input_errors_are_problems(client: AsyncTestClient, factory: Factory) -> None:
    agent = await factory.login(Role.AGENT)
    assert_problem(await escalate(client, agent, "T-4", "C-4", category="nope"), 422, "invalid-input")
    bad = await escalate(
        client, agent, "T-4", "C-4", category=None, required_skills=[{"code": "astro.physics"}]
    )
    assert_problem(bad, 422, "invalid-input")
    no_place = await escalate(client, agent, "T-4", "C-4", location={})
    assert_problem(no_place, 422, "invalid-input")
    lat = await escalate(client, agent, "T-4", "C-4", location={"lat": 200, "lng": 4})
    assert_problem(lat, 400, "validation-failed") if lat.status_code == 400 else assert_problem(
        lat, 422, "validation-failed"
    )
    customer = await factory.login(Role.CUSTOMER)
    assert_problem(await escalate(client, customer, "T-4", "C-4"), 403, "forbidden")
    assert_problem(await client.post("/escalations", json=escalation_body("T", "C")), 401, "unauthenticated")


class _Nominatim(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query).get("q", [""])[0]
        hits = (
            [{"lat": "52.3731", "lon": "4.8922", "display_name": "Dam 1, Amsterdam", "place_id": 1}]
            if "dam" in query.lower()
            else []
        )
        payload = json.dumps(hits).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def nominatim() -> Iterator[None]:
    server = HTTPServer(("127.0.0.1", 0), _Nominatim)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    geocoding.configure(
        geocoding.GeopyGeocoder("nominatim", domain=f"127.0.0.1:{server.server_port}", scheme="http")
    )
    yield
    geocoding.configure(None)
    server.shutdown()


async def test_address_is_geocoded_through_geopy_nominatim(
    client: AsyncTestClient, factory: Factory, nominatim: None
) -> None:
    agent = await factory.login(Role.AGENT)
    r = await escalate(client, agent, "T-5", "C-5", location={"address": "Dam 1, Amsterdam"})
    assert r.status_code == 201, r.text
    assert (r.json()["work_order"]["lat"], r.json()["work_order"]["lng"]) == (52.3731, 4.8922)
    unknown = await escalate(client, agent, "T-6", "C-6", location={"address": "Nowhere street 0"})
    assert_problem(unknown, 422, "invalid-input")


async def test_sla_policy_is_editable_and_ticket_sla_wins_when_earlier(
    client: AsyncTestClient, factory: Factory
) -> None:
    admin = await factory.login(Role.ADMIN)
    agent = await factory.login(Role.AGENT)
    put = await client.put(
        "/admin/sla-policies/premium/2",
        json={"response_s": 3600, "resolution_s": 4 * 3600},
        headers=admin.headers,
    )
    assert put.status_code == 200 and put.json()["source"] == "policy"
    listed = (await client.get("/admin/sla-policies", headers=admin.headers)).json()
    assert {
        "tier": "premium",
        "priority": 2,
        "response_s": 3600,
        "resolution_s": 14400,
        "source": "policy",
    } in listed
    assert_problem(
        await client.put(
            "/admin/sla-policies/premium/2",
            json={"response_s": 3600, "resolution_s": 3600},
            headers=agent.headers,
        ),
        403,
        "forbidden",
    )
    premium = {"external_id": "C-7", "name": "Big Corp", "tier": "premium"}
    r = await escalate(client, agent, "T-7", "C-7", customer=premium, priority=2)
    due = datetime.fromisoformat(r.json()["work_order"]["sla_due_at"])
    assert timedelta(hours=3, minutes=59) < due - datetime.now(UTC) <= timedelta(hours=4)
    ticket_due = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    r2 = await escalate(
        client, agent, "T-8", "C-7", customer=premium, priority=2, sla_due_at=ticket_due.isoformat()
    )
    assert datetime.fromisoformat(r2.json()["work_order"]["sla_due_at"]) == ticket_due


async def test_admin_edits_the_triage_table(client: AsyncTestClient, factory: Factory) -> None:
    admin = await factory.login(Role.ADMIN)
    agent = await factory.login(Role.AGENT)
    body = {"name": "Leak", "required_skills": [{"code": "plumbing", "min_level": 1}], "duration_s": 5400}
    created = await client.put("/admin/categories/leak", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    replaced = await client.put(
        "/admin/categories/leak", json={**body, "duration_s": 7200}, headers=admin.headers
    )
    assert replaced.status_code == 200 and replaced.json()["duration_s"] == 7200
    assert_problem(
        await client.put("/admin/categories/leak", json=body, headers=agent.headers), 403, "forbidden"
    )
    bad = {**body, "required_skills": [{"code": "nope", "min_level": 1}]}
    assert_problem(
        await client.put("/admin/categories/x", json=bad, headers=admin.headers), 422, "invalid-input"
    )
    r = await escalate(client, agent, "T-9", "C-9", category="leak")
    assert r.json()["work_order"]["duration_s"] == 7200
    assert_problem(await client.delete("/admin/categories/leak", headers=admin.headers), 409, "conflict")
    codes = [c["code"] for c in (await client.get("/admin/categories", headers=agent.headers)).json()]
    assert codes == ["hvac-broken", "leak", "thermostat-wifi"]


async def test_expedite_needs_authority_is_audited_and_dispatches(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    engine: AsyncEngine,
) -> None:
    await add_technician(
        session_factory,
        shifts=[(datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=6))],
    )
    agent = await factory.login(Role.AGENT)
    boss = await factory.login(Role.AGENT, can_expedite=True)
    order_id = (await escalate(client, agent, "T-10", "C-10")).json()["work_order"]["id"]
    assert_problem(
        await client.post(
            f"/work-orders/{order_id}/expedite", json={"reason": "CEO's house"}, headers=agent.headers
        ),
        403,
        "forbidden",
    )
    r = await client.post(
        f"/work-orders/{order_id}/expedite", json={"reason": "elderly, no heat"}, headers=boss.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == 1
    # The task was written to the outbox in the expedite transaction. Run it through the real
    # runner (a no-op if the in-process queue already did; the runner is exactly-once).
    async with session_factory() as s:
        task_id = (
            await s.execute(
                sa.text("SELECT id FROM outbox_tasks WHERE name = 'work_orders.dispatch_requested'")
            )
        ).scalar_one()
    ctx = TaskContext(settings=settings, engine=engine, session_factory=session_factory)  # this loop's pool
    for _ in range(100):
        outcome = await execute_task(ctx, task_id)
        if outcome in (RunOutcome.DONE, RunOutcome.ALREADY_DONE):
            break
        await asyncio.sleep(0.1)
    events = (await client.get(f"/work-orders/{order_id}", headers=agent.headers)).json()["events"]
    expedited = next(e for e in events if e["kind"] == "expedited")
    assert expedited["reason"] == "elderly, no heat" and expedited["actor_user_id"] == str(boss.user.id)
    ranked_events = [e for e in events if e["kind"] == "dispatch_ranked"]
    assert ranked_events, "the dispatch task did not run within 30 s"
    ranked = ranked_events[0]
    assert ranked["data"]["candidates"] and ranked["data"]["candidates"][0]["why"]


async def test_dispatchers_expedite_without_a_grant_and_technicians_cannot(
    client: AsyncTestClient, factory: Factory
) -> None:
    agent = await factory.login(Role.AGENT)
    dispatcher = await factory.login(Role.DISPATCHER)
    technician = await factory.login(Role.TECHNICIAN)
    order_id = (await escalate(client, agent, "T-11", "C-11")).json()["work_order"]["id"]
    assert_problem(
        await client.post(
            f"/work-orders/{order_id}/expedite", json={"reason": "mine now"}, headers=technician.headers
        ),
        403,
        "forbidden",
    )
    r = await client.post(
        f"/work-orders/{order_id}/expedite", json={"reason": "flooding below"}, headers=dispatcher.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == 1
    events = (await client.get(f"/work-orders/{order_id}", headers=agent.headers)).json()["events"]
    expedited = [e for e in events if e["kind"] == "expedited"]
    assert [(e["reason"], e["actor_user_id"]) for e in expedited] == [
        ("flooding below", str(dispatcher.user.id))
    ]


async def test_list_work_orders_paginates_and_customers_see_only_their_own(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    agent = await factory.login(Role.AGENT)
    a = await customer_login(session_factory, settings, external_id="C-A")
    for i in range(5):
        await escalate(client, agent, f"T-L{i}", "C-A")
    await escalate(client, agent, "T-LB", "C-B")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/work-orders", params=params, headers=agent.headers)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    own = (await client.get("/work-orders", params={"limit": 100}, headers=a.headers)).json()
    assert len(own["items"]) == 5 and own["next_cursor"] is None
    b_order = (await client.get("/work-orders", params={"limit": 1}, headers=agent.headers)).json()["items"][
        0
    ]
    assert b_order["external_ref"] == "zendesk:T-LB"
    assert_problem(await client.get(f"/work-orders/{b_order['id']}", headers=a.headers), 404, "not-found")
    assert_problem(
        await client.get("/work-orders", params={"cursor": "!!"}, headers=agent.headers), 422, "invalid-input"
    )


async def test_needs_callback_when_no_qualified_technician_meets_the_sla(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    now = datetime.now(UTC)
    # qualified, but only free in 3 days; unqualified (level 1) one is free right now next door
    qualified = await add_technician(
        session_factory,
        name="Right person",
        shifts=[(now + timedelta(days=3), now + timedelta(days=3, hours=4))],
    )
    await add_technician(
        session_factory,
        name="Wrong person",
        skills={"hvac.repair": 1},
        shifts=[(now, now + timedelta(days=2))],
    )
    agent = await factory.login(Role.AGENT)
    customer = await customer_login(session_factory, settings, external_id="C-11")
    due = (now + timedelta(hours=8)).replace(microsecond=0)
    r = await escalate(client, agent, "T-11", "C-11", priority=1, sla_due_at=due.isoformat())
    order = r.json()["work_order"]
    assert order["status"] == "needs_callback"
    assert order["sla_risk"] == "at_risk"

    slots = (await client.get(f"/work-orders/{order['id']}/slots", headers=customer.headers)).json()
    assert slots["availability"] == "sla_at_risk" and slots["sla_attainable"] is False
    earliest = slots["earliest"]
    assert datetime.fromisoformat(earliest["earliest_arrival"]) >= now + timedelta(days=3)
    assert all(not s["meets_sla"] for s in slots["slots"])

    booked = await client.post(
        f"/work-orders/{order['id']}/appointment",
        json={"window_start": earliest["start"], "window_end": earliest["end"]},
        headers=customer.headers,
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["meets_sla"] is False
    assert booked.json()["appointment"]["technician_id"] == str(qualified)  # never the wrong person
    detail = (await client.get(f"/work-orders/{order['id']}", headers=agent.headers)).json()
    assert detail["sla_risk"] == "at_risk"
    assert any(e["kind"] == "sla_at_risk" for e in detail["events"])
    cb = next(e for e in detail["events"] if e["to_status"] == "needs_callback")
    assert cb["data"]["earliest_arrival"]


async def test_urgent_escalation_starts_the_instant_cascade_on_commit(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    from marketplace.outbox import OutboxTask

    now = datetime.now(UTC)
    await add_technician(session_factory, shifts=[(now - timedelta(hours=1), now + timedelta(hours=10))])
    agent = await factory.login(Role.AGENT)
    urgent = await escalate(client, agent, "U-1", "C-U1", priority=1)
    normal = await escalate(client, agent, "U-2", "C-U2", priority=3)
    assert urgent.status_code == 201 and normal.status_code == 201, (urgent.text, normal.text)
    urgent_order = urgent.json()["work_order"]
    assert urgent_order["status"] == "triaged"
    async with session_factory() as s:
        query = sa.select(OutboxTask).where(OutboxTask.name == "dispatch.instant")  # type: ignore[arg-type]
        rows = (await s.execute(query)).scalars().all()
    # Queued by the escalation itself (the periodic sweep is off in tests), and only for the urgent one.
    assert [(r.args["work_order_id"], r.dedupe_key) for r in rows] == [
        (urgent_order["id"], f"instant:{urgent_order['id']}:0")
    ]


async def test_region_is_inferred_from_the_technicians_around_the_location(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    tech = await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    async with session_factory() as s:
        await s.execute(sa.text("UPDATE technicians SET region = 'amsterdam' WHERE id = :id"), {"id": tech})
        await s.commit()
    agent = await factory.login(Role.AGENT)
    near = await escalate(client, agent, "R-1", "C-R1")
    far = await escalate(client, agent, "R-2", "C-R2", location={"lat": 40.4168, "lng": -3.7038})
    named = await escalate(client, agent, "R-3", "C-R3", region="rotterdam")
    regions = []
    for response in (near, far, named):
        assert response.status_code == 201, response.text
        async with session_factory() as s:
            order_id = response.json()["work_order"]["id"]
            regions.append(
                (
                    await s.execute(
                        sa.text("SELECT region FROM work_orders WHERE id = :id"), {"id": order_id}
                    )
                ).scalar_one()
            )
    assert regions == ["amsterdam", "default", "rotterdam"]
