"""The technician app in a real Chromium at 390x844: sign in, accept an offer, step the visit
to done; an action taken offline is sent once when the network is back; a technician never
sees another technician's offer or visit.

Public doors only: the first admin comes from `fieldhand create-admin`'s code path; the skill,
category and technicians are made over HTTP, the job arrives through the signed helpdesk
webhook, and the urgent (P1) order is offered to the best technician by the real instant
dispatch. Every test makes its own skill, so only its own technicians qualify for its job.

`FIELDHAND_TECH_SCREENSHOTS=docs` writes the offers and today screens as PNGs into that folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import cmd_create_admin
from marketplace.settings import Settings
from marketplace.work_orders.helpdesk import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.conftest import in_thread

PHONE = {"width": 390, "height": 844}
PASSWORD = "correct-horse-battery"
ADMIN = "techapp-admin@fieldhand.test"
HELPDESK = "techapp"
SECRET = "whsec-techapp-browser-0123456789"
SITE = (52.3700, 4.8900)
M = "/mobile/v1"
SHOTS = os.environ.get("FIELDHAND_TECH_SCREENSHOTS")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


@pytest.fixture(scope="module")
def helpdesk_secret(settings: Settings) -> Iterator[None]:
    """The live server's settings object gets this module's helpdesk secret."""
    before = dict(settings.helpdesk_secrets)
    settings.helpdesk_secrets = {**before, HELPDESK: SECRET}
    yield
    settings.helpdesk_secrets = before


@pytest.fixture(scope="module")
def admin(settings: Settings, live_server: str, helpdesk_secret: None) -> dict[str, str]:
    args = argparse.Namespace(email=ADMIN, password=PASSWORD, name="Root", reset_password=False)
    assert in_thread(lambda: cmd_create_admin(settings, args)) == 0
    token = ok(httpx.post(f"{live_server}/auth/token", json={"email": ADMIN, "password": PASSWORD}))
    return bearer(token["access_token"])


@dataclass
class Tech:
    email: str
    headers: dict[str, str]


@dataclass
class Trade:
    """A skill and a job category of its own, so only this test's technicians qualify."""

    server: str
    admin: dict[str, str]
    skill: str
    category: str

    def technician(
        self, name: str, *, at: tuple[float, float] = (52.3650, 4.8950), on_shift: bool = True
    ) -> Tech:
        email = f"{name}-{uuid.uuid4().hex[:6]}@fixers.test"
        signup = {
            "email": email,
            "password": PASSWORD,
            "display_name": name.title(),
            "home": {"lat": at[0], "lng": at[1]},
            "skills": [{"code": self.skill, "level": 2}],
            "timezone": "Europe/Amsterdam",
            "service_radius_m": 20_000,
            "hourly_rate_minor": 4_500,
        }
        body = ok(httpx.post(f"{self.server}{M}/signup", json=signup), 201)
        ok(httpx.post(f"{self.server}/technicians/{body['technician']['id']}/verify", headers=self.admin))
        headers = bearer(body["access_token"])
        if on_shift:
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
            windows = [
                {"starts_at": iso(start + timedelta(hours=h)), "ends_at": iso(start + timedelta(hours=h + 8))}
                for h in range(0, 48, 8)
            ]
            shifts = {"from": iso(start), "until": iso(start + timedelta(hours=48)), "windows": windows}
            ok(httpx.put(f"{self.server}{M}/shifts", json=shifts, headers=headers))
        return Tech(email, headers)

    def urgent_job(self, summary: str) -> str:
        """A P1 ticket through the signed helpdesk webhook; instant dispatch offers it."""
        ticket = f"TA-{uuid.uuid4().hex[:8]}"
        body = json.dumps(
            {
                "helpdesk": HELPDESK,
                "ticket_id": ticket,
                "customer": {
                    "external_id": f"C-{ticket}",
                    "name": "Ada",
                    "email": f"{ticket.lower()}@example.test",
                },
                "location": {"lat": SITE[0], "lng": SITE[1], "address": "Dam 1, Amsterdam"},
                "summary": summary,
                "context": {"steps_tried": ["reset the boiler", "checked the pressure"]},
                "category": self.category,
                "priority": 1,
            }
        ).encode()
        stamp = int(time.time())
        response = httpx.post(
            f"{self.server}/webhooks/helpdesk/{HELPDESK}",
            content=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(SECRET, stamp, body),
            },
        )
        return str(ok(response, 201)["work_order"]["id"])


def pending_offer(server: str, tech: Tech, order_id: str, within_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        items = ok(httpx.get(f"{server}{M}/offers", params={"status": "pending"}, headers=tech.headers))[
            "items"
        ]
        mine = [o for o in items if o["job"]["work_order_id"] == order_id]
        if mine:
            return dict(mine[0])
        time.sleep(0.3)
    raise AssertionError(f"no pending offer for {order_id}")


@pytest.fixture
def trade(live_server: str, admin: dict[str, str]) -> Trade:
    code = f"tapp.s{uuid.uuid4().hex[:8]}"
    ok(httpx.post(f"{live_server}/skills", json={"code": code, "name": "Boilers"}, headers=admin), 201)
    category = f"tapp-{uuid.uuid4().hex[:8]}"
    broken = {
        "name": "Boiler broken",
        "required_skills": [{"code": code, "min_level": 2}],
        "duration_s": 3600,
        "base_price_minor": 12_000,
    }
    ok(httpx.put(f"{live_server}/admin/categories/{category}", json=broken, headers=admin), 201)
    return Trade(live_server, admin, code, category)


@pytest.fixture
def phone_context(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(20_000)
    yield context
    context.close()


def signed_in(context: Any, tech: Tech) -> Any:
    tab = context.new_page()
    tab.goto("/tech/sign-in")
    tab.fill("#email", tech.email)
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(r"/tech/offers$"))
    return tab


def shoot(tab: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / name))


def test_a_technician_signs_in_accepts_an_offer_and_steps_the_visit_to_done(
    phone_context: Any, trade: Trade, live_server: str
) -> None:
    sam = trade.technician("sam")
    order_id = trade.urgent_job("Boiler shows error E23 and will not heat")
    offer = pending_offer(live_server, sam, order_id)

    tab = signed_in(phone_context, sam)
    cookie = next(c for c in phone_context.cookies() if c["name"] == "fh_tech")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/tech"

    card = tab.locator(f"#offer-{offer['id']}")
    assert "Boiler shows error E23" in card.locator("h2").inner_text()
    assert re.fullmatch(r"€\d+,\d\d", card.locator(".pay").inner_text())
    assert re.search(r"\d+(\.\d)? k?m", card.locator(".travel").inner_text())
    assert card.locator(".why li").count() == len(offer["why_you"]) >= 1
    assert "reset the boiler" in card.inner_text()
    countdown = card.locator(".countdown")
    first = countdown.inner_text()
    assert re.fullmatch(r"\d+ min \d\d s", first), first
    tab.wait_for_function(
        "([el, before]) => el.textContent !== before", arg=[countdown.element_handle(), first], timeout=5_000
    )
    shoot(tab, "tech-offers.png")

    card.locator("button:has-text('Accept the job')").click()
    tab.wait_for_url(re.compile(r"/tech/today\?note=accepted$"))
    visit = tab.locator(f"#visit-{order_id}")
    assert "Assigned" in visit.locator(".state").inner_text()
    tab.wait_for_selector("#route-map .main-svg")  # the route is drawn by plotly.js
    shoot(tab, "tech-today.png")

    for step, label, note in [
        ("en_route", "On my way", "On your way"),
        ("on_site", "Arrived", "Arrived."),
        ("completed", "Done", "Done. Well done!"),
    ]:
        visit = tab.locator(f"#visit-{order_id}")
        visit.locator("textarea[name=notes]").fill(f"note at {step}")
        button = visit.locator(f"button.step-{step}")
        assert button.inner_text() == label
        assert button.bounding_box()["height"] >= 44
        button.click()
        tab.wait_for_url(re.compile(rf"/tech/today\?note={step}$"))
        assert note in tab.locator("#note").inner_text()
    assert tab.locator(f"#visit-{order_id}").count() == 0
    assert "Boiler shows error E23 and will not heat — Done" in tab.locator(".done").first.inner_text()

    got = ok(httpx.get(f"{live_server}{M}/visits/{order_id}", headers=sam.headers))
    assert got["status"] == "completed"
    assert [(s["status"], s["notes"]) for s in got["steps"]] == [
        ("en_route", "note at en_route"),
        ("on_site", "note at on_site"),
        ("completed", "note at completed"),
    ]
    tab.click("nav >> text=Money")
    assert "Boiler shows error E23" in tab.locator("#lines").inner_text()


def test_a_decline_says_why_and_the_missed_offer_later_says_why_not(
    phone_context: Any, trade: Trade, live_server: str
) -> None:
    techs = [trade.technician("ada", at=(52.3650, 4.8950)), trade.technician("bo", at=(52.3550, 4.9100))]
    order_id = trade.urgent_job("Boiler pressure keeps dropping")
    deadline = time.monotonic() + 30
    offered: list[tuple[Tech, dict[str, Any]]] = []
    while not offered and time.monotonic() < deadline:
        for tech in techs:
            items = ok(
                httpx.get(f"{live_server}{M}/offers", params={"status": "pending"}, headers=tech.headers)
            )
            offered += [(tech, o) for o in items["items"] if o["job"]["work_order_id"] == order_id]
        time.sleep(0.3)
    [(first, offer)] = offered  # the urgent cascade offers one technician at a time

    tab = signed_in(phone_context, first)
    card = tab.locator(f"#offer-{offer['id']}")
    card.locator("summary").click()
    card.locator("input[name=reason][value=too_far]").check()
    card.locator("input[name=details]").fill("van in the garage")
    card.locator("button:has-text('Decline this job')").click()
    tab.wait_for_url(re.compile(r"/tech/offers\?note=declined$"))
    assert tab.locator(f"#offer-{offer['id']}").count() == 0
    declined = ok(httpx.get(f"{live_server}{M}/offers/{offer['id']}", headers=first.headers))
    assert declined["status"] == "declined" and declined["decline_reason"] == "Too far: van in the garage"

    other = techs[1] if first is techs[0] else techs[0]
    taken = pending_offer(live_server, other, order_id)
    ok(httpx.post(f"{live_server}{M}/offers/{taken['id']}/accept", headers=other.headers))
    receipts = tab.locator("#missed .missed", has_text="Boiler pressure keeps dropping")
    for _ in range(20):
        tab.reload()
        if receipts.count():
            break
        time.sleep(0.5)
    assert receipts.locator(".why-not").inner_text().strip()
    assert other.email.split("@")[0] not in receipts.inner_text()  # never says who got the job


def test_an_action_taken_offline_is_sent_once_when_the_network_is_back(
    phone_context: Any, trade: Trade, live_server: str
) -> None:
    kim = trade.technician("kim")
    order_id = trade.urgent_job("Radiators cold upstairs")
    offer = pending_offer(live_server, kim, order_id)
    tab = signed_in(phone_context, kim)
    tab.locator(f"#offer-{offer['id']} button:has-text('Accept the job')").click()
    tab.wait_for_url(re.compile(r"/tech/today\?note=accepted$"))

    delivered: list[str | None] = []
    tab.on(
        "requestfinished",
        lambda r: delivered.append(r.headers.get("idempotency-key")) if r.url.endswith("/steps") else None,
    )
    phone_context.set_offline(True)
    tab.locator(f"#visit-{order_id} button.step-en_route").click()
    banner = tab.locator("#queue")
    assert "You're offline" in banner.inner_text() and "On my way" in banner.inner_text()
    assert tab.evaluate("JSON.parse(localStorage.getItem('fieldhand-tech-queue')).length") == 1
    time.sleep(1.0)
    assert ok(httpx.get(f"{live_server}{M}/visits/{order_id}", headers=kim.headers))["status"] == "assigned"
    assert delivered == []

    phone_context.set_offline(False)
    tab.wait_for_url(re.compile(r"/tech/today"))
    tab.wait_for_selector(f"#visit-{order_id} button.step-on_site")
    tab.locator("#queue", has_text='Sent "On my way"').wait_for()
    assert len(delivered) == 1 and delivered[0], delivered
    assert tab.evaluate("JSON.parse(localStorage.getItem('fieldhand-tech-queue') || '[]').length") == 0
    steps = ok(httpx.get(f"{live_server}{M}/visits/{order_id}", headers=kim.headers))["steps"]
    assert [s["status"] for s in steps] == ["en_route"]

    # a send whose answer is lost on the way back is retried with the same key: done once
    tab.goto("/tech/shifts")
    lost: list[str] = []

    def drop_the_answer(route: Any) -> None:
        if not lost:
            route.fetch()  # the server does it...
            lost.append(route.request.headers["idempotency-key"])
            route.abort()  # ...and the phone never hears back
        else:
            route.continue_()

    tab.route("**/tech/shifts/time-off", drop_the_answer)
    tab.fill("#off-reason", "dentist")
    tab.click("button:has-text('Add time off')")
    tab.wait_for_url(re.compile(r"/tech/shifts\?note=time_off_added$"), timeout=30_000)
    assert "Time off added." in tab.locator("#note").inner_text()
    entries = ok(httpx.get(f"{live_server}{M}/time-off", headers=kim.headers))["items"]
    assert [e["reason"] for e in entries] == ["dentist"]
    assert len(lost) == 1


def test_a_technician_cannot_see_or_move_another_technicians_offer_or_visit(
    phone_context: Any, trade: Trade, live_server: str
) -> None:
    ana = trade.technician("ana")
    ben = trade.technician("ben", at=(52.2000, 5.3000), on_shift=False)  # qualified, never offered
    order_id = trade.urgent_job("Water heater leaking in the attic")
    offer = pending_offer(live_server, ana, order_id)

    tab = signed_in(phone_context, ben)
    assert "Water heater leaking" not in tab.content()
    response = tab.goto(f"/tech/offers/{offer['id']}")
    assert response.status == 404
    assert "Water heater leaking" not in tab.content()
    csrf = tab.locator("body").get_attribute("data-csrf")
    refused = tab.request.post(f"/tech/offers/{offer['id']}/accept", form={"_csrf": csrf})
    assert refused.status == 404
    assert ok(httpx.get(f"{live_server}{M}/offers/{offer['id']}", headers=ana.headers))["status"] == "pending"
    no_token = tab.request.post(f"/tech/offers/{offer['id']}/decline", form={"reason": "busy"})
    assert no_token.status == 403

    ok(httpx.post(f"{live_server}{M}/offers/{offer['id']}/accept", headers=ana.headers))
    moved = tab.request.post(f"/tech/visits/{order_id}/steps", form={"_csrf": csrf, "step": "en_route"})
    assert moved.status == 404
    tab.goto("/tech/today")
    assert tab.locator(f"#visit-{order_id}").count() == 0
    assert ok(httpx.get(f"{live_server}{M}/visits/{order_id}", headers=ana.headers))["status"] == "assigned"

    # ben is off shift and on the way nowhere: the page asks for no position, the server takes none
    assert tab.locator("body").get_attribute("data-tracking") is None
    pings = {"pings": [{"lat": 52.2, "lng": 5.3, "recorded_at": iso(datetime.now(UTC))}]}
    sent = tab.request.post(
        "/tech/location",
        data=json.dumps(pings),
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert sent.status == 409 and sent.json() == {"tracking": False, "accepted": 0}


def test_on_shift_the_position_is_sent_in_batches(browser: Any, trade: Trade, live_server: str) -> None:
    lea = trade.technician("lea")
    context = browser.new_context(
        base_url=live_server,
        viewport=PHONE,
        permissions=["geolocation"],
        geolocation={"latitude": 52.3610, "longitude": 4.8990, "accuracy": 10},
    )
    try:
        tab = context.new_page()
        tab.goto("/tech/sign-in")
        tab.fill("#email", lea.email)
        tab.fill("#password", PASSWORD)
        with tab.expect_response(lambda r: r.url.endswith("/tech/location")) as sent:
            tab.click("button[type=submit]")
        assert tab.locator("body").get_attribute("data-tracking") == "on"
        assert sent.value.status == 200 and sent.value.json() == {"tracking": True, "accepted": 1}
    finally:
        context.close()


def test_money_shows_the_payout_onboarding_link_once_it_is_ready(
    phone_context: Any, trade: Trade, live_server: str
) -> None:
    """Without Stripe keys the server's payment gateway is the labelled dry run, whose
    onboarding link leads back to our own return page; the screen's flow is the same."""
    mia = trade.technician("mia")
    tab = signed_in(phone_context, mia)
    tab.click("nav >> text=Money")
    assert "Set up your payout account" in tab.locator("#payouts").inner_text()
    tab.click("button:has-text('Set up payouts')")
    tab.wait_for_url(re.compile(r"/tech/money\?link="))
    link = tab.locator("#onboarding-link")
    link.wait_for()  # the page looks again while the link is being made
    assert "account=" in (link.get_attribute("href") or "")
    assert link.bounding_box()["height"] >= 44
    requested = ok(httpx.get(f"{live_server}{M}/payouts/account", headers=mia.headers))
    assert requested["has_account"] is True and requested["payouts_enabled"] is False


def test_at_360_px_nothing_scrolls_sideways_and_the_app_is_installable(
    browser: Any, trade: Trade, live_server: str
) -> None:
    joe = trade.technician("joe")
    order_id = trade.urgent_job("Thermostat dead, no heating")
    pending_offer(live_server, joe, order_id)
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    try:
        tab = signed_in(context, joe)
        for path in ("/tech/offers", "/tech/today", "/tech/shifts", "/tech/money"):
            tab.goto(path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= 360, path
            small = tab.evaluate(
                """[...document.querySelectorAll('button, a.button, a.tab, summary, input, select')]
                     .filter(e => e.offsetParent !== null && e.type !== 'hidden' && e.type !== 'radio')
                     .filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML)"""
            )
            assert small == [], (path, small)
        manifest = tab.request.get("/tech/manifest.json")
        assert manifest.ok and manifest.json()["scope"] == "/tech/"
        registered = tab.evaluate("navigator.serviceWorker.ready.then(r => r.active && r.active.scriptURL)")
        assert registered.endswith("/tech/sw.js")
        assert tab.request.get("/tech/static/plotly.min.js").ok
    finally:
        context.close()
