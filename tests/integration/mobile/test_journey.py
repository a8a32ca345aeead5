"""signup -> verification -> shifts -> location -> offer -> accept -> en route -> on site -> completed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.bookings.models import Appointment
from marketplace.clock import utcnow
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent
from tests.factories import Factory
from tests.integration.mobile.helpers import AMSTERDAM, assert_problem, iso, offer_round, open_work_order

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

M = "/mobile/v1"


async def test_full_technician_journey_over_http(
    client: AsyncTestClient,
    factory: Factory,
    app: Litestar,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    admin = await factory.login(Role.ADMIN)
    assert (
        await client.post(
            "/skills", json={"code": "hvac.repair", "name": "HVAC repair"}, headers=admin.headers
        )
    ).status_code == 201

    # 1. sign up (public), retried with the same Idempotency-Key over a flaky network
    signup = {
        "email": "Sam@Example.com",
        "password": "correct-horse-battery",
        "display_name": "Sam Fixer",
        "home": {"lat": AMSTERDAM[0], "lng": AMSTERDAM[1]},
        "skills": [{"code": "hvac.repair", "level": 2}],
        "timezone": "Europe/Amsterdam",
        "service_radius_m": 20_000,
        "hourly_rate_minor": 4_500,
    }
    first = await client.post(f"{M}/signup", json=signup, headers={"Idempotency-Key": "signup-1"})
    assert first.status_code == 201, first.text
    again = await client.post(f"{M}/signup", json=signup, headers={"Idempotency-Key": "signup-1"})
    assert again.status_code == 201 and again.json() == first.json()
    dup = await client.post(f"{M}/signup", json=signup)
    assert_problem(dup, 409, "email-taken")
    body = first.json()
    tech_headers = {"Authorization": f"Bearer {body['access_token']}"}
    tech_id = body["technician"]["id"]
    assert body["technician"]["status"] == "pending_verification"
    assert body["technician"]["skills"] == [{"code": "hvac.repair", "level": 2}]

    cert = await client.post(
        f"{M}/me/certifications",
        json={
            "code": "gas_safe",
            "number": "GS-1",
            "issuer": "Gas Safe",
            "expires_at": iso(utcnow() + timedelta(days=300)),
        },
        headers=tech_headers,
    )
    assert cert.status_code == 201 and cert.json()["status"] == "pending"

    # 2. admin verification
    queue = await client.get("/technicians", params={"status": "pending_verification"}, headers=admin.headers)
    assert [t["id"] for t in queue.json()["items"]] == [tech_id]
    assert_problem(
        await client.post(f"/technicians/{tech_id}/verify", headers=tech_headers), 403, "forbidden"
    )
    verified = await client.post(f"/technicians/{tech_id}/verify", headers=admin.headers)
    assert verified.status_code == 200 and verified.json()["status"] == "active"
    cert_ok = await client.post(
        f"/technicians/{tech_id}/certifications/{cert.json()['id']}/verify", headers=admin.headers
    )
    assert cert_ok.json()["status"] == "verified"
    me = (await client.get(f"{M}/me", headers=tech_headers)).json()
    assert me["status"] == "active" and me["certifications"][0]["counts_for_dispatch"] is True

    # 3. shifts: two short windows today, one of them now
    now = utcnow().replace(microsecond=0)
    day = now - timedelta(hours=2)
    shifts = await client.put(
        f"{M}/shifts",
        json={
            "from": iso(day),
            "until": iso(day + timedelta(days=1)),
            "windows": [
                {"starts_at": iso(now - timedelta(hours=1)), "ends_at": iso(now + timedelta(hours=6))},
                {"starts_at": iso(now + timedelta(hours=8)), "ends_at": iso(now + timedelta(hours=10))},
            ],
        },
        headers=tech_headers,
    )
    assert shifts.status_code == 200, shifts.text
    assert len(shifts.json()) == 2

    # 4. location: a batch sent late, out of order, one point stale
    pings = await client.post(
        f"{M}/locations",
        json={
            "pings": [
                {"lat": 52.372, "lng": 4.90, "recorded_at": iso(now - timedelta(minutes=1))},
                {"lat": 52.371, "lng": 4.899, "recorded_at": iso(now - timedelta(minutes=3))},
                {"lat": 10.0, "lng": 10.0, "recorded_at": iso(now - timedelta(days=3))},
            ]
        },
        headers=tech_headers,
    )
    assert pings.status_code == 200, pings.text
    assert pings.json()["accepted"] == 2 and pings.json()["stale"] == 1
    assert pings.json()["latest"]["lat"] == 52.372

    # 5. an offer made through dispatch ranking, with "why you"
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id)
    assert result.outcome == "ranked" and len(result.offers) == 1
    offers = (await client.get(f"{M}/offers", params={"status": "pending"}, headers=tech_headers)).json()[
        "items"
    ]
    assert len(offers) == 1
    offer = offers[0]
    assert offer["job"]["work_order_id"] == str(order_id)
    assert offer["job"]["context"]["tried"] == ["reset the boiler"]
    assert offer["earnings"] == {"amount": 9_600, "currency": "eur"}
    assert any("away" in reason for reason in offer["why_you"]), offer["why_you"]
    assert {t["name"] for t in offer["score_terms"]} >= {"travel", "rating"}

    # 6. accept (a retry returns the same answer)
    accepted = await client.post(f"{M}/offers/{offer['id']}/accept", headers=tech_headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    retry = await client.post(f"{M}/offers/{offer['id']}/accept", headers=tech_headers)
    assert retry.status_code == 200 and retry.json()["status"] == "accepted"

    # 7. en route -> on site -> completed, each step retried once
    visit = f"{M}/visits/{order_id}/status"
    en_route = await client.post(visit, json={"status": "en_route"}, headers=tech_headers)
    assert en_route.status_code == 200, en_route.text
    assert en_route.json()["status"] == "en_route" and en_route.json()["eta"] is not None
    replay = await client.post(visit, json={"status": "en_route"}, headers=tech_headers)
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert replay.json()["steps"] == en_route.json()["steps"]
    on_site = await client.post(visit, json={"status": "on_site"}, headers=tech_headers)
    assert on_site.json()["status"] == "on_site"
    done_body = {
        "status": "completed",
        "notes": "Replaced pressure sensor",
        "time_spent_s": 2700,
        "parts_used": [{"name": "Pressure sensor", "quantity": 1, "sku": "PS-119"}],
        "customer_signoff_name": "J. de Vries",
    }
    done = await client.post(visit, json=done_body, headers=tech_headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert [s["status"] for s in done.json()["steps"]] == ["en_route", "on_site", "completed"]
    assert done.json()["steps"][-1]["customer_signoff_name"] == "J. de Vries"
    again_done = await client.post(visit, json=done_body, headers=tech_headers)
    assert again_done.status_code == 200 and again_done.json()["replayed"] is True
    failed_late = await client.post(visit, json={"status": "failed", "notes": "oops"}, headers=tech_headers)
    assert_problem(failed_late, 409, "illegal-transition")
    # A late retry of an earlier step is still harmless: it replays, nothing moves back
    late_replay = await client.post(visit, json={"status": "on_site"}, headers=tech_headers)
    assert late_replay.status_code == 200 and late_replay.json()["status"] == "completed"

    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None and order.status == "completed" and str(order.technician_id) == tech_id
        moves = [
            e.to_status
            for e in (
                await s.execute(
                    select(WorkOrderEvent).where(
                        WorkOrderEvent.work_order_id == order_id, WorkOrderEvent.kind == "transition"
                    )
                )
            ).scalars()
        ]
        assert moves.count("en_route") == 1 and moves.count("completed") == 1  # no double advance
        appointment = (
            await s.execute(select(Appointment).where(Appointment.work_order_id == order_id))
        ).scalar_one()
        assert appointment.status == "done" and appointment.eta is not None
        assert str(appointment.technician_id) == tech_id

    # 8. earnings
    earnings = await client.get(f"{M}/earnings", headers=tech_headers)
    assert earnings.status_code == 200, earnings.text
    e = earnings.json()
    assert e["summary"]["completed_visits"] == 1
    assert e["summary"]["net"] == {"amount": 9_600, "currency": "eur"}
    assert e["items"][0]["fee"] == {"amount": 2_400, "currency": "eur"}
    assert e["items"][0]["payout_status"] in {"not_scheduled", "pending", "held", "paid"}
    await app.state.queue.drain()
