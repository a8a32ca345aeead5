"""Steps every journey shares, each through a public door (HTTP, SMTP mailbox, Stripe server)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from api.cli import cmd_create_admin
from marketplace.settings import Settings
from tests.conftest import in_thread
from tests.journeys.conftest import Worker
from tests.mailbox import Mailbox

M = "/mobile/v1"
SITE = {"lat": 52.3700, "lng": 4.8900, "address": "Dam 1, Amsterdam"}
PASSWORD = "correct-horse-battery"
Headers = dict[str, str]


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def sign_in(http: AsyncTestClient, email: str, password: str = PASSWORD) -> Headers:
    return bearer(
        ok(await http.post("/auth/token", json={"email": email, "password": password}))["access_token"]
    )


async def first_admin(http: AsyncTestClient, settings: Settings) -> Headers:
    """The one account made outside HTTP: `fieldhand create-admin`'s own code path."""
    args = argparse.Namespace(
        email="root@fieldhand.test", password=PASSWORD, name="Root", reset_password=False
    )
    assert in_thread(lambda: cmd_create_admin(settings, args)) == 0
    return await sign_in(http, "root@fieldhand.test")


def mailed_token(mailbox: Mailbox, address: str, page: str, count: int = 1) -> str:
    mails = mailbox.wait_for(address, count=count)
    found = [link for m in mails for link in m.links() if f"/app/{page}/" in link]
    assert found, [(m.subject, m.body) for m in mails]
    return found[-1].rsplit("/", 1)[1]


async def staff(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, admin: Headers, email: str, role: str
) -> Headers:
    invite = {"email": email, "display_name": role.title(), "role": role}
    ok(await http.post("/admin/staff/invitations", json=invite, headers=admin), 201)
    await worker.settle()
    token = mailed_token(mailbox, email, "invitation")
    ok(await http.post("/auth/invitations/accept", json={"token": token, "password": PASSWORD}))
    return await sign_in(http, email)


async def catalog(http: AsyncTestClient, admin: Headers) -> None:
    ok(await http.post("/skills", json={"code": "hvac.repair", "name": "HVAC repair"}, headers=admin), 201)
    ok(await http.post("/skills", json={"code": "plumbing", "name": "Plumbing"}, headers=admin), 201)
    broken = {
        "name": "Heating does not work",
        "required_skills": [{"code": "hvac.repair", "min_level": 2}],
        "duration_s": 3600,
        "base_price_minor": 12_000,
    }
    ok(await http.put("/admin/categories/hvac-broken", json=broken, headers=admin), 201)
    wifi = {
        "name": "Thermostat offline",
        "required_skills": [{"code": "hvac.repair", "min_level": 1}],
        "remote_fixable": True,
        "knowledge_base_hint": "KB-112: power-cycle the thermostat and re-pair Wi-Fi",
    }
    ok(await http.put("/admin/categories/thermostat-wifi", json=wifi, headers=admin), 201)


async def technician(
    http: AsyncTestClient,
    admin: Headers,
    email: str,
    *,
    skills: dict[str, int] | None = None,
    at: tuple[float, float] = (52.3600, 4.9000),
    hours: tuple[int, int] = (-1, 47),
) -> tuple[str, Headers]:
    """Signs up on the mobile API, is verified by the admin, and sets shifts from now."""
    signup = {
        "email": email,
        "password": PASSWORD,
        "display_name": email.split("@")[0].title(),
        "home": {"lat": at[0], "lng": at[1]},
        "skills": [{"code": c, "level": lv} for c, lv in (skills or {"hvac.repair": 2}).items()],
        "timezone": "Europe/Amsterdam",
        "service_radius_m": 20_000,
        "hourly_rate_minor": 4_500,
    }
    body = ok(await http.post(f"{M}/signup", json=signup), 201)
    tech_id, headers = body["technician"]["id"], bearer(body["access_token"])
    ok(await http.post(f"/technicians/{tech_id}/verify", headers=admin))
    await shifts(http, headers, hours)
    return tech_id, headers


async def shifts(http: AsyncTestClient, headers: Headers, hours: tuple[int, int]) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start, end = now + timedelta(hours=hours[0]), now + timedelta(hours=hours[1])
    windows, cursor = [], start
    while cursor < end:
        stop = min(cursor + timedelta(hours=8), end)
        windows.append({"starts_at": iso(cursor), "ends_at": iso(stop)})
        cursor = stop
    body = {"from": iso(start), "until": iso(end), "windows": windows}
    ok(await http.put(f"{M}/shifts", json=body, headers=headers))


async def escalate(
    http: AsyncTestClient, agent: Headers, ticket: str, email: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "helpdesk": "zendesk",
        "ticket_id": ticket,
        "customer": {"external_id": f"C-{ticket}", "name": "Ada", "tier": "standard", "email": email},
        "location": SITE,
        "summary": "Boiler shows error E23 and will not heat",
        "context": {"steps_tried": ["reset", "checked pressure"]},
        "category": "hvac-broken",
        **overrides,
    }
    return dict(ok(await http.post("/escalations", json=body, headers=agent), 201))


async def customer_from_mail(http: AsyncTestClient, worker: Worker, mailbox: Mailbox, email: str) -> Headers:
    await worker.settle()
    token = mailed_token(mailbox, email, "access")
    return bearer(ok(await http.post("/auth/access-links/exchange", json={"token": token}))["access_token"])


async def onboard_payouts(http: AsyncTestClient, worker: Worker, stripe_server: str, tech: Headers) -> None:
    """Connect onboarding: link from the mobile API, finished on the Stripe server, its webhook."""
    link = ok(await http.post(f"{M}/payouts/account-links", headers=tech), 202)
    for _ in range(100):
        await worker.settle(1)
        got = ok(await http.get(f"{M}/payouts/account-links/{link['id']}", headers=tech))
        if got["status"] == "ready":
            break
    assert got["status"] == "ready", got
    account = got["url"].split("/setup/e/")[1].split("/")[0]
    async with httpx.AsyncClient() as stripe_http:
        done = await stripe_http.post(
            f"{stripe_server}/_config/fieldhand/accounts/{account}/complete_onboarding"
        )
        done.raise_for_status()
    delivery = await stripe_delivery(stripe_server, "account.updated", account)
    ok(
        await http.post(
            "/webhooks/stripe",
            content=delivery["payload"],
            headers={"Stripe-Signature": delivery["signature"]},
        )
    )
    await worker.settle()
    assert ok(await http.get(f"{M}/payouts/account", headers=tech))["payouts_enabled"] is True


async def stripe_delivery(server: str, event_type: str, object_id: str) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        async with httpx.AsyncClient() as stripe_http:
            deliveries = (await stripe_http.get(f"{server}/_config/fieldhand/webhooks")).json()
        for d in deliveries:
            if d["type"] == event_type and json.loads(d["payload"])["data"]["object"]["id"] == object_id:
                return dict(d)
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {event_type} webhook for {object_id}")
