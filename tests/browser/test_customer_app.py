"""The customer phone app in a real Chromium at phone size: an access link, the order, a
booked window, a callback request; no horizontal scroll at 360 px; no other customer's order."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from marketplace.demo import CITY_CENTRE, STAFF

pytestmark = pytest.mark.usefixtures("demo_city")
AGENT = next((email, pw) for role, email, pw, _name in STAFF if role.value == "agent")
PHONE = {"width": 390, "height": 844}


def agent_headers(live_server: str) -> dict[str, str]:
    r = httpx.post(f"{live_server}/auth/token", json={"email": AGENT[0], "password": AGENT[1]})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


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
