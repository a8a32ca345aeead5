"""The customer phone app in a real Chromium at phone size: an access link, the order, a
booked window, a callback request; no horizontal scroll at 360 px; no other customer's order;
and, on a server wired to the Stripe test server and an SMTP mailbox, the whole visit: the
link from the inbox, booking, saving a card with the stand-in Stripe Elements, and the ETA
and map changing live while the technician (driven over the mobile API) is on the way."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from demo.city import CITY_CENTRE, STAFF
from marketplace.messages.channels import build_channels
from marketplace.settings import Settings
from tests.conftest import STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET
from tests.mailbox import Mailbox, smtp_mailbox  # noqa: F401  (fixture)
from workers.tasks.messages import CHANNELS_KEY

pytestmark = pytest.mark.usefixtures("demo_city")
AGENT = next((email, pw) for role, email, pw, _name in STAFF if role.value == "agent")
ADMIN = next((email, pw) for role, email, pw, _name in STAFF if role.value == "admin")
DISPATCHER = next((email, pw) for role, email, pw, _name in STAFF if role.value == "dispatcher")
PHONE = {"width": 390, "height": 844}


def staff_headers(base: str, login: tuple[str, str]) -> dict[str, str]:
    r = httpx.post(f"{base}/auth/token", json={"email": login[0], "password": login[1]})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def agent_headers(live_server: str) -> dict[str, str]:
    return staff_headers(live_server, AGENT)


def escalate(live_server: str, headers: dict[str, str], customer_ref: str) -> str:
    r = httpx.post(
        f"{live_server}/escalations",
        headers=headers,
        json={
            "helpdesk": "zendesk",
            "ticket_id": f"T-{uuid.uuid4().hex[:8]}",
            "customer": {
                "external_id": customer_ref,
                "name": "Noor de Vries",
                "email": f"{customer_ref}@example.com",
            },
            "location": {"lat": CITY_CENTRE[0], "lng": CITY_CENTRE[1], "address": "Dam 1, Amsterdam"},
            "summary": "Water dripping through the kitchen ceiling",
            "context": {
                "transcript_excerpt": "It started after the upstairs shower",
                "steps_tried": ["Closed the main valve"],
            },
            "category": "leak",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["work_order"]["id"])


def access_path(live_server: str, headers: dict[str, str], order_id: str) -> str:
    """The customer's link as staff read it out (reissueAccessLink); only its path is ours to open."""
    r = httpx.post(f"{live_server}/work-orders/{order_id}/access-links", headers=headers, json={})
    assert r.status_code == 201, r.text
    path = urlsplit(r.json()["url"]).path
    assert path.startswith("/app/access/")
    return path


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport=PHONE, has_touch=True, is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_customer_opens_the_link_books_a_window_and_asks_for_a_person(phone: Any, live_server: str) -> None:
    headers = agent_headers(live_server)
    order_id = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    phone.goto(access_path(live_server, headers, order_id))
    assert phone.url.endswith(f"/app/orders/{order_id}")
    cookie = next(c for c in phone.context.cookies() if c["name"] == "fh_app")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/app"

    assert phone.locator("h1").inner_text() == "Water dripping through the kitchen ceiling"
    assert "upstairs shower" in phone.locator("#reported").inner_text()
    assert re.search(
        r"€\d+,\d\d for the visit, including our service fee of €\d+,\d\d",
        phone.locator("#price").inner_text(),
    )
    assert "Choose a time" in phone.locator("#next").inner_text()

    first = phone.locator("#slots label.slot").first
    chosen = first.inner_text().split(" (")[0].strip()
    first.click()
    phone.click("text=Book this time")
    phone.wait_for_url(re.compile(rf"/app/orders/{order_id}\?note=booked$"))
    assert phone.locator("#note").inner_text() == "Your visit is booked."
    assert chosen in phone.locator("#appointment").inner_text()
    assert "Your visit is booked for" in phone.locator("#next").inner_text()
    booked = httpx.get(f"{live_server}/work-orders/{order_id}", headers=headers).json()
    assert booked["status"] in ("scheduled", "offered", "assigned")

    # cancelling says what it costs before anything is cancelled
    phone.click("text=Cancel the visit")
    assert "free" in phone.locator("#fee").inner_text()
    phone.click("text=Keep my visit")
    assert httpx.get(f"{live_server}/work-orders/{order_id}", headers=headers).json()["status"] != "cancelled"

    button = phone.locator("#talk button")
    box = button.bounding_box()
    assert box["height"] >= 44
    button.click()
    phone.wait_for_url(re.compile(r"\?note=callback$"))
    assert "a person from support will call you" in phone.locator("#note").inner_text()
    callbacks = httpx.get(f"{live_server}/callback-requests", headers=headers).json()
    items = callbacks["items"] if isinstance(callbacks, dict) else callbacks
    assert any(c["work_order_id"] == order_id for c in items)


def test_a_link_works_once_and_a_customer_cannot_open_another_customers_order(
    phone: Any, live_server: str
) -> None:
    headers = agent_headers(live_server)
    mine = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    theirs = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    link = access_path(live_server, headers, mine)
    phone.goto(link)
    assert phone.url.endswith(f"/app/orders/{mine}")
    response = phone.goto(f"/app/orders/{theirs}")
    assert response.status == 404
    assert "Water dripping" not in phone.content()
    response = phone.goto(link)
    assert response.status == 410
    assert "can no longer be used" in phone.locator("h1").inner_text()


def test_a_form_without_its_csrf_token_is_refused(phone: Any, live_server: str) -> None:
    headers = agent_headers(live_server)
    order_id = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    phone.goto(access_path(live_server, headers, order_id))
    response = phone.request.post(f"/app/orders/{order_id}/callback", form={"reason": "x"})
    assert response.status == 403
    assert httpx.get(f"{live_server}/work-orders/{order_id}", headers=headers).status_code == 200


def test_at_360_px_nothing_scrolls_sideways_and_the_app_is_installable(
    browser: Any, live_server: str
) -> None:
    headers = agent_headers(live_server)
    order_id = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    tab = context.new_page()
    try:
        tab.goto(access_path(live_server, headers, order_id))
        assert tab.evaluate("document.documentElement.scrollWidth") <= 360
        small = tab.evaluate(
            """[...document.querySelectorAll('button, a.button, label.slot')]
                 .filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML)"""
        )
        assert small == []
        manifest = tab.request.get("/app/manifest.json")
        assert manifest.ok and manifest.json()["scope"] == "/app/"
        registered = tab.evaluate("navigator.serviceWorker.ready.then(r => r.active && r.active.scriptURL)")
        assert registered.endswith("/app/sw.js")
    finally:
        context.close()


def test_customer_moves_the_visit_then_cancels_after_seeing_the_fee(phone: Any, live_server: str) -> None:
    headers = agent_headers(live_server)
    order_id = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    phone.goto(access_path(live_server, headers, order_id))
    phone.locator("#slots label.slot").first.click()
    phone.click("text=Book this time")
    phone.wait_for_url(re.compile(r"\?note=booked$"))

    later = phone.locator("#slots label.slot").nth(1)
    chosen = later.inner_text().split(" (")[0].strip()
    later.click()
    phone.click("text=Move my visit")
    phone.wait_for_url(re.compile(r"\?note=rescheduled$"))
    assert chosen in phone.locator("#appointment").inner_text()

    phone.click("text=Cancel the visit")
    assert phone.url.endswith(f"/app/orders/{order_id}/cancel")
    fee = phone.locator("#fee").inner_text()
    assert re.search(r"free|costs €\d+,\d\d", fee)
    assert httpx.get(f"{live_server}/work-orders/{order_id}", headers=headers).json()["status"] != "cancelled"
    phone.click("button:has-text('Yes, cancel')")
    phone.wait_for_url(re.compile(r"\?note=cancelled$"))
    assert "This visit is cancelled." in phone.locator("#next").inner_text()
    assert httpx.get(f"{live_server}/work-orders/{order_id}", headers=headers).json()["status"] == "cancelled"


def test_sending_the_booking_form_twice_books_once_and_is_not_an_error(phone: Any, live_server: str) -> None:
    headers = agent_headers(live_server)
    order_id = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    phone.goto(access_path(live_server, headers, order_id))
    csrf = phone.locator("#slots input[name=_csrf]").get_attribute("value")
    window = phone.locator("#slots input[name=window]").first.get_attribute("value")
    form = {"_csrf": csrf, "action": "book", "window": window}
    first = phone.request.post(f"/app/orders/{order_id}/appointment", form=form)
    again = phone.request.post(f"/app/orders/{order_id}/appointment", form=form)
    assert first.ok and again.ok, again.text()
    assert again.url.endswith("?note=booked")
    other = phone.locator("#slots input[name=window]").nth(1).get_attribute("value")
    refused = phone.request.post(f"/app/orders/{order_id}/appointment", form={**form, "window": other})
    assert refused.status == 409


# ---------------------------------------------------------------- the whole visit, with money

M = "/mobile/v1"
SITE = (52.3702, 4.8952)
SCREENSHOTS = os.environ.get("FIELDHAND_SCREENSHOTS")  # e.g. docs: where the README images come from


@pytest.fixture(scope="module")
def paying_server(settings: Settings, stripe_server: str) -> Iterator[tuple[str, Any]]:
    """The app as in production: Stripe over HTTP (the local test server, whose stand-in
    Stripe.js the page loads) and its own in-process workers; served by uvicorn."""
    import uvicorn

    from tests.conftest import _free_port

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        settings.model_copy(
            update={
                "stripe_api_key": STRIPE_API_KEY,
                "stripe_api_base": stripe_server,
                "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
                "stripe_publishable_key": "pk_test_fieldhand_local",
                "stripe_js_url": f"{stripe_server}/js.stripe.com/v3/",
                "public_base_url": base,
            }
        )
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="paying-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "paying server did not start"
    yield base, app
    server.should_exit = True
    thread.join(timeout=10)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def technician_for(base: str, skill: str) -> dict[str, str]:
    """A freelancer signs up on the mobile API near the site, is verified and sets shifts."""
    admin = staff_headers(base, ADMIN)
    email = f"tech-{uuid.uuid4().hex[:6]}@fixers.test"
    signup = {
        "email": email,
        "password": "correct-horse-battery",
        "display_name": "Sam Fixer",
        "home": {"lat": 52.3600, "lng": 4.9000},
        "skills": [{"code": skill, "level": 2}],
        "timezone": "Europe/Amsterdam",
        "service_radius_m": 30_000,
        "hourly_rate_minor": 4_500,
    }
    body = ok(httpx.post(f"{base}{M}/signup", json=signup), 201)
    tech = {"Authorization": f"Bearer {body['access_token']}"}
    ok(httpx.post(f"{base}/technicians/{body['technician']['id']}/verify", headers=admin))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    windows = [
        {"starts_at": iso(start + timedelta(hours=h)), "ends_at": iso(start + timedelta(hours=h + 8))}
        for h in range(0, 48, 8)
    ]
    shifts = {"from": iso(start), "until": iso(start + timedelta(hours=48)), "windows": windows}
    ok(httpx.put(f"{base}{M}/shifts", json=shifts, headers=tech))
    return tech


def payment_words(phone: Any, expected: str) -> str:
    """Reload until the payment card says `expected` (the workers authorise in the background)."""
    deadline = time.monotonic() + 20
    while True:
        text = phone.locator("#pay").inner_text()
        if expected in text or time.monotonic() > deadline:
            return str(text)
        time.sleep(0.3)
        phone.reload()


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def shoot(phone: Any, name: str, top: str) -> None:
    """A phone-sized screenshot for the README, scrolled so that `top` starts the screen."""
    if SCREENSHOTS:
        phone.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", top)
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=False)


def test_the_customer_books_from_the_mailed_link_saves_a_card_and_watches_the_technician_come(
    browser: Any,
    paying_server: tuple[str, Any],
    smtp_mailbox: Mailbox,  # noqa: F811
) -> None:
    base, app = paying_server
    app.state.queue.ctx.extras[CHANNELS_KEY] = build_channels(smtp_mailbox.config())
    admin, agent = staff_headers(base, ADMIN), staff_headers(base, AGENT)
    skill = f"boiler.t{uuid.uuid4().hex[:6]}"  # only our technician has it
    ok(httpx.post(f"{base}/skills", json={"code": skill, "name": "Boiler repair"}, headers=admin), 201)
    category = {
        "name": "Boiler will not heat",
        "required_skills": [{"code": skill, "min_level": 2}],
        "duration_s": 3600,
        "base_price_minor": 12_000,
    }
    category_code = f"boiler-{uuid.uuid4().hex[:6]}"
    ok(httpx.put(f"{base}/admin/categories/{category_code}", json=category, headers=admin), 201)
    tech = technician_for(base, skill)

    email = f"noor-{uuid.uuid4().hex[:6]}@example.com"
    escalation = {
        "helpdesk": "zendesk",
        "ticket_id": f"T-{uuid.uuid4().hex[:8]}",
        "customer": {"external_id": f"C-{uuid.uuid4().hex[:6]}", "name": "Noor", "email": email},
        "location": {"lat": SITE[0], "lng": SITE[1], "address": "Dam 1, Amsterdam"},
        "summary": "Boiler shows error E23 and will not heat",
        "category": category_code,
    }
    order_id = ok(httpx.post(f"{base}/escalations", json=escalation, headers=agent), 201)["work_order"]["id"]

    # the link comes by e-mail
    mails = smtp_mailbox.wait_for(email, within_s=20)
    links = [link for m in mails for link in m.links() if "/app/access/" in link]
    assert links, [(m.subject, m.body) for m in mails]
    context = browser.new_context(base_url=base, viewport=PHONE, has_touch=True, is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    try:
        phone.goto(links[-1])
        assert phone.url.endswith(f"/app/orders/{order_id}")

        phone.locator("#slots label.slot").first.click()
        phone.click("text=Book this time")
        phone.wait_for_url(re.compile(r"\?note=booked$"))
        assert "Add a card to confirm your visit" in payment_words(phone, "Add a card")

        # the card form is the stand-in Stripe Elements, served by the Stripe test server
        phone.wait_for_selector("#card-element input[name=cc-number]")
        phone.fill("#card-element input[name=cc-number]", "4242 4242 4242 4242")
        phone.fill("#card-element input[name=cc-exp]", "12 / 34")
        phone.fill("#card-element input[name=cc-csc]", "123")
        phone.click("text=Save card")
        phone.wait_for_url(re.compile(r"\?note=card$"))
        assert phone.locator("#note").inner_text() == "Your card is saved."
        held = payment_words(phone, "We're holding")
        assert re.search(r"We're holding €\d+,\d\d on your card\. Nothing is charged", held), held
        payment = ok(httpx.get(f"{base}/work-orders/{order_id}/payment", headers=agent))
        assert payment["status"] == "authorized" and payment["authorized"]["amount"] > 0, payment
        shoot(phone, "customer-app-order.png", "#next")

        # dispatch offers the visit to our technician, who accepts on the mobile API
        dispatcher = staff_headers(base, DISPATCHER)
        ok(httpx.post(f"{base}/dispatch/regions/amsterdam/runs", headers=dispatcher, timeout=120))
        offers = ok(httpx.get(f"{base}{M}/offers", params={"status": "pending"}, headers=tech))["items"]
        [offer] = [o for o in offers if o["job"]["work_order_id"] == order_id]
        ok(httpx.post(f"{base}{M}/offers/{offer['id']}/accept", headers=tech))

        phone.goto(f"/app/orders/{order_id}")
        assert "Sam Fixer" in phone.locator("#tech-name").inner_text()
        assert phone.locator("#tech-rating").inner_text() == "New on Fieldhand, no ratings yet"
        planned = phone.locator("#eta").inner_text()
        assert re.fullmatch(r"\d\d:\d\d", planned)
        assert phone.locator("#eta-source").inner_text() == "(planned)"
        assert phone.locator("#track-map").is_hidden()
        phone.wait_for_selector("#next[data-connected='1']")
        phone.evaluate("window.__sameDocument = true")

        # on the way, 10 km out: the page turns live without a reload
        visit = f"{base}{M}/visits/{order_id}/status"
        ok(httpx.post(visit, json={"status": "en_route"}, headers=tech))
        far = {"lat": 52.4600, "lng": 4.9500, "recorded_at": iso(datetime.now(UTC)), "accuracy_m": 10}
        ok(httpx.post(f"{base}{M}/locations", json={"pings": [far]}, headers=tech))
        phone.wait_for_selector("#eta-source:has-text('live')")
        phone.wait_for_selector("#track-map[data-ready='1']")
        assert phone.locator("#status-text").inner_text() == "en route"
        assert "Sam Fixer is on the way" in phone.locator("#next-step").inner_text()
        far_eta = phone.locator("#eta").inner_text()
        shoot(phone, "customer-app-tracking.png", "#next")

        # closer: the ETA moves earlier, still without a reload
        near = {"lat": 52.3712, "lng": 4.8960, "recorded_at": iso(datetime.now(UTC)), "accuracy_m": 10}
        ok(httpx.post(f"{base}{M}/locations", json={"pings": [near]}, headers=tech))
        phone.wait_for_function(
            "(before) => document.getElementById('eta').textContent !== before", arg=far_eta
        )
        near_eta = phone.locator("#eta").inner_text()
        assert 0 < (minutes(far_eta) - minutes(near_eta)) % 1440 < 720, (far_eta, near_eta)  # earlier
        assert phone.evaluate("window.__sameDocument") is True
        marker = phone.evaluate("document.getElementById('track-map').data[0].y[0]")
        assert abs(marker - near["lat"]) < 1e-6

        # done: the page turns to the rating by itself; the hold became a charge
        ok(httpx.post(visit, json={"status": "on_site"}, headers=tech))
        done = {"status": "completed", "notes": "Replaced the sensor", "time_spent_s": 2700}
        ok(httpx.post(visit, json=done, headers=tech))
        phone.wait_for_selector("#rate form", timeout=20_000)
        charged = payment_words(phone, "We charged")
        assert re.search(r"We charged €\d+,\d\d to your card\.", charged), charged
        phone.locator("#rate label:has-text('5')").click()
        phone.fill("#comment", "Quick and tidy")
        phone.click("text=Send my rating")
        phone.wait_for_url(re.compile(r"\?note=reviewed$"))
        assert "You gave ★★★★★: “Quick and tidy”" in phone.locator("#rated").inner_text()
        me = ok(httpx.get(f"{base}{M}/me", headers=tech))
        assert me["rating_count"] == 1 and me["rating_average"] == 5, me
    finally:
        context.close()
        app.state.queue.ctx.extras.pop(CHANNELS_KEY, None)


def test_the_customer_asks_for_a_new_visit_triage_first_then_slots(phone: Any, live_server: str) -> None:
    headers = agent_headers(live_server)
    first = escalate(live_server, headers, f"c-{uuid.uuid4().hex[:6]}")
    phone.goto(access_path(live_server, headers, first))
    phone.goto("/app/")
    assert "Water dripping through the kitchen ceiling" in phone.locator("#visits").inner_text()
    phone.click("text=Ask for a new visit")

    # a category with a known remote fix: the fix comes first, nothing is opened yet
    phone.select_option("#category", "wifi_slow")
    phone.fill("#description", "The thermostat keeps dropping off the Wi-Fi")
    phone.click("text=Continue")
    assert phone.locator("h1").inner_text() == "You may not need a visit"
    assert phone.locator("#hint").inner_text().strip()
    assert [o["id"] for o in own_orders(phone)] == [first]

    sent = {
        name: phone.locator(f"form[action='/app/new'] input[name={name}]").get_attribute("value")
        for name in ("_csrf", "category", "description", "insist", "request_key")
    }
    phone.click("text=I still need a visit")
    phone.wait_for_url(re.compile(r"/app/orders/[0-9a-f-]{36}\?note=asked$"))
    new_id = phone.url.split("/app/orders/")[1].split("?")[0]
    # the same form sent again (a double tap, a retry on a flaky network): the same order
    again = phone.request.post("/app/new", form=sent, max_redirects=0)
    assert again.status == 303 and again.headers["location"] == f"/app/orders/{new_id}?note=asked"
    assert sorted(o["id"] for o in own_orders(phone)) == sorted([first, new_id])
    assert phone.locator("h1").inner_text() == "The thermostat keeps dropping off the Wi-Fi"
    assert "Dam 1, Amsterdam" in phone.locator("#reported").inner_text()
    order = httpx.get(f"{live_server}/work-orders/{new_id}", headers=headers).json()
    assert order["source"] == "booking" and order["category"] == "wifi_slow"
    assert (
        order["customer_id"]
        == httpx.get(f"{live_server}/work-orders/{first}", headers=headers).json()["customer_id"]
    )
    if order["status"] in ("new", "triaged"):
        assert phone.locator("#slots label.slot").count() >= 1  # then: choose a time as usual


def own_orders(phone: Any) -> list[dict[str, Any]]:
    """The orders the customer's home page lists (their own, newest first), read in a second tab."""
    tab = phone.context.new_page()
    try:
        tab.goto("/app/")
        hrefs = tab.eval_on_selector_all(
            "#visits a[href^='/app/orders/']", "els => els.map(e => e.getAttribute('href'))"
        )
    finally:
        tab.close()
    return [{"id": h.rsplit("/", 1)[1]} for h in hrefs]


def card_setup(phone: Any, order_id: str, key: str) -> str:
    """What the page's script does first: ask for a SetupIntent (CSRF token, Idempotency-Key)."""
    csrf = phone.locator("#card-form input[name=_csrf]").get_attribute("value")
    response = phone.request.post(
        f"/app/orders/{order_id}/card-setup", form={"_csrf": csrf}, headers={"Idempotency-Key": key}
    )
    assert response.ok, response.text()
    return str(response.json()["client_secret"])


def test_only_a_confirmed_card_of_ones_own_is_saved(browser: Any, paying_server: tuple[str, Any]) -> None:
    base, _app = paying_server
    agent = staff_headers(base, AGENT)
    phones = []
    try:
        for _ in range(2):
            order_id = escalate(base, agent, f"c-{uuid.uuid4().hex[:6]}")
            context = browser.new_context(base_url=base, viewport=PHONE)
            tab = context.new_page()
            tab.goto(access_path(base, agent, order_id))
            tab.wait_for_selector("#card-element input[name=cc-number]")
            phones.append((tab, order_id))
        (mine, my_order), (theirs, their_order) = phones

        key = uuid.uuid4().hex
        secret = card_setup(mine, my_order, key)
        assert card_setup(mine, my_order, key) == secret  # a retried tap: the same SetupIntent
        assert card_setup(mine, my_order, uuid.uuid4().hex) != secret
        csrf = mine.locator("#card-form input[name=_csrf]").get_attribute("value")
        unconfirmed = secret.split("_secret_")[0]
        refused = mine.request.post(
            f"/app/orders/{my_order}/card", form={"_csrf": csrf, "setup_intent": unconfirmed}
        )
        assert refused.status == 422 and "did not confirm the card" in refused.text()

        # someone else's SetupIntent, even confirmed, is not ours to save
        other = card_setup(theirs, their_order, uuid.uuid4().hex)
        confirmed = theirs.evaluate(
            """async (secret) => {
                 const stripe = Stripe(document.getElementById('card-form').dataset.key);
                 const card = stripe.elements().create('card');
                 card.mount(document.createElement('div'));
                 card.inputs.number.value = '4242424242424242';
                 card.inputs.exp.value = '12/34';
                 card.inputs.cvc.value = '123';
                 const result = await stripe.confirmCardSetup(secret, {payment_method: {card}});
                 return result.setupIntent.status;
               }""",
            other,
        )
        assert confirmed == "succeeded"
        stolen = mine.request.post(
            f"/app/orders/{my_order}/card",
            form={"_csrf": csrf, "setup_intent": other.split("_secret_")[0]},
        )
        assert stolen.status == 404
        mine.reload()
        assert mine.locator("#card-saved").count() == 0  # nothing was saved for this customer
    finally:
        for tab, _ in phones:
            tab.context.close()
