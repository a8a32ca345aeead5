"""The staff console in a real Chromium: sign-in, desk, dispatch, board, map, live alerts, roles, CSRF."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from demo.city import STAFF
from marketplace.assignment.config import load_config
from marketplace.assignment.sla import check_sla
from marketplace.clock import utcnow
from marketplace.db import make_session_factory
from marketplace.settings import Settings
from tests.browser.conftest import sign_in
from tests.browser.test_customer_app import access_path, agent_headers
from tests.conftest import in_thread

pytestmark = pytest.mark.usefixtures("demo_city")
ADMIN, AGENT, DISPATCHER = ((email, pw) for _role, email, pw, _name in STAFF)


def escalate(
    page: Any,
    ticket: str,
    summary: str,
    priority: str | None = None,
    where: tuple[float, float] | None = None,
) -> str:
    sign_in(page, *AGENT)
    page.goto("/console/desk")
    page.fill("#ticket_id", ticket)
    page.fill("#customer_ref", f"cust-{ticket}")
    page.fill("#customer_name", "Noor de Vries")
    page.fill("#summary", summary)
    page.fill("#category", "leak")
    if priority is not None:
        page.select_option("#priority", priority)
    if where is not None:
        page.fill("#lat", str(where[0]))
        page.fill("#lng", str(where[1]))
    page.fill("#transcript", "Customer: water is dripping through the kitchen ceiling.")
    page.fill("#steps_tried", "Closed the main valve\nMoved the furniture")
    page.click("text=Create work order")
    page.wait_for_url(re.compile(r"/console/work-orders/[0-9a-f-]{36}$"))
    return str(page.url.rsplit("/", 1)[1])


def test_sign_in_lands_on_the_role_home_and_sign_out_ends_the_session(page: Any) -> None:
    sign_in(page, *DISPATCHER)
    assert page.url.endswith("/console/map")
    cookie = next(c for c in page.context.cookies() if c["name"] == "fh_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/console/sign-in$"))
    # the old token is revoked server-side, not only forgotten by the browser
    page.context.add_cookies([{**cookie}])
    page.goto("/console/map")
    assert page.url.endswith("/console/sign-in")


def test_wrong_password_is_refused(page: Any) -> None:
    sign_in(page, DISPATCHER[0], "nope-nope")
    assert page.locator("[role=alert]").inner_text() == "Wrong email or password."


def test_escalation_creates_a_work_order_whose_page_shows_context_and_timeline(page: Any) -> None:
    escalate(page, f"T-{uuid.uuid4().hex[:6]}", "Leak through the kitchen ceiling")
    assert page.locator("h1").inner_text() == "Leak through the kitchen ceiling"
    context = page.locator("#context").inner_text()
    assert "dripping through the kitchen ceiling" in context
    assert "Closed the main valve" in context
    timeline = page.locator("#timeline li")
    assert timeline.count() >= 1
    assert "by Sam Support (agent)" in timeline.first.inner_text()


def book_first_window(browser: Any, live_server: str, order_id: str) -> None:
    """The customer books through the link support reads out to them (their phone app)."""
    phone = browser.new_context(base_url=live_server).new_page()
    phone.goto(access_path(live_server, agent_headers(live_server), order_id))
    phone.locator("#slots label.slot").first.click()
    phone.click("text=Book this time")
    phone.wait_for_url(re.compile(rf"/app/orders/{order_id}\?note=booked$"))
    phone.context.close()


def booked_day(live_server: str, order_id: str) -> str:
    """The booked window's day in Amsterdam, as support reads it from the API."""
    order = httpx.get(f"{live_server}/work-orders/{order_id}", headers=agent_headers(live_server)).json()
    start = datetime.fromisoformat(order["appointment"]["window_start"])
    return start.astimezone(ZoneInfo("Europe/Amsterdam")).date().isoformat()


def test_running_dispatch_shows_the_assignment_on_the_board_and_the_route_on_the_map(
    page: Any, browser: Any, live_server: str
) -> None:
    order_id = escalate(page, f"T-{uuid.uuid4().hex[:6]}", "Boiler leaking in the hallway")
    book_first_window(browser, live_server, order_id)
    dispatcher = browser.new_context(base_url=live_server).new_page()
    sign_in(dispatcher, *DISPATCHER)
    dispatcher.goto("/console/board?region=amsterdam")
    dispatcher.click("text=Run dispatch for amsterdam")
    dispatcher.wait_for_url(re.compile(r"/console/board\?"))
    assert "Dispatch ran:" in dispatcher.locator("#run-result").inner_text()
    day = booked_day(live_server, order_id)
    dispatcher.select_option("#day", day)  # the board of the day the customer booked
    dispatcher.wait_for_url(re.compile(rf"day={day}"))
    # the escalation queued a dispatch already; either way the visit is on a technician's row
    visit = dispatcher.locator(f"#board-table a[href='/console/work-orders/{order_id}']")
    assert "assigned" in visit.inner_text()
    dispatcher.wait_for_selector("#board[data-ready='1']")
    bars = dispatcher.evaluate("document.getElementById('board').data.map(t => [t.name, t.y.length])")
    assert ["Visits (arrival window)", 1] in bars
    # the demo region's twelve technicians fit on one page of the board
    assert "Technicians 1\N{EN DASH}12 of 12" in dispatcher.locator("nav.pager").inner_text()

    dispatcher.goto(f"/console/map?region=amsterdam&day={day}")
    dispatcher.wait_for_selector("#map[data-ready='1']")
    traces = dispatcher.evaluate(
        "document.getElementById('map').data.map(t => [t.name, t.x.filter(v => v !== null).length])"
    )
    named = dict(traces)
    assert sum(n for name, n in traces if name.startswith("Technicians")) == 12
    assert named["Planned routes"] >= 2  # technician -> visit
    assert dispatcher.locator("#map .main-svg").count() >= 1

    # the dispatch just recorded its ranking in the ledger: the fairness page counts it and
    # replays it at every weight of the knob, the one in force marked
    dispatcher.click("nav >> text=Fairness")
    dispatcher.wait_for_url(re.compile(r"/console/fairness\?region=amsterdam"))
    assert int(dispatcher.locator("#fair-offered").inner_text()) >= 1
    knob = dispatcher.locator("#fairness-knob tbody tr")
    assert knob.count() == 5
    assert all(int(knob.nth(i).locator("td").first.inner_text()) >= 1 for i in range(5))
    assert "(in force)" in dispatcher.locator("#fairness-knob tr.current").inner_text()
    dispatcher.context.close()


def test_the_map_shows_the_regions_technicians(page: Any) -> None:
    sign_in(page, *DISPATCHER)
    page.goto("/console/map?region=amsterdam")
    page.wait_for_selector("#map[data-ready='1']")
    traces = page.evaluate(
        "document.getElementById('map').data.map(t => [t.name, t.x.filter(v => v !== null).length])"
    )
    assert sum(n for name, n in traces if name.startswith("Technicians")) == 12
    assert "Planned routes" in dict(traces)
    assert page.locator("#technician-list li").count() == 12


def test_an_order_becoming_at_risk_shows_in_the_alert_list_without_reload(
    page: Any, browser: Any, live_server: str, settings: Settings
) -> None:
    order_id = escalate(page, f"T-{uuid.uuid4().hex[:6]}", "Urgent: no water pressure")
    dispatcher = browser.new_context(base_url=live_server).new_page()
    sign_in(dispatcher, *DISPATCHER)
    dispatcher.goto("/console/queue?region=amsterdam")
    dispatcher.wait_for_selector("#live.on")
    dispatcher.evaluate("window.__sameDocument = true")

    async def near_due() -> None:
        engine = create_async_engine(settings.database_url)
        try:
            async with make_session_factory(engine)() as session:
                now = utcnow()
                await session.execute(
                    sa.text("UPDATE work_orders SET sla_due_at = :due WHERE id = :id"),
                    {"due": now + timedelta(minutes=20), "id": uuid.UUID(order_id)},
                )
                await check_sla(session, now=now, config=load_config())
                await session.commit()
        finally:
            await engine.dispose()

    in_thread(lambda: asyncio.run(near_due()))
    alert = dispatcher.locator(f"#alert-list a[href='/console/work-orders/{order_id}']")
    alert.wait_for(timeout=10_000)
    assert dispatcher.evaluate("window.__sameDocument") is True  # no reload happened
    dispatcher.context.close()


def test_dispatcher_cannot_reach_admin_screens_and_agent_cannot_dispatch(page: Any, live_server: str) -> None:
    sign_in(page, *DISPATCHER)
    response = page.goto("/console/admin")
    assert response.status == 403
    assert "Not allowed here" in page.locator("h1").inner_text()

    page.context.clear_cookies()
    sign_in(page, *AGENT)
    assert page.goto("/console/board").status == 403
    assert page.goto("/console/map").status == 403
    # nor by posting the dispatch form directly with a valid CSRF token of their own
    page.goto("/console/desk")
    token = page.locator("input[name=_csrf]").first.input_value()
    status = page.evaluate(
        """async (token) => (await fetch('/console/regions/amsterdam/dispatch', {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: '_csrf=' + token, redirect: 'manual'})).status""",
        token,
    )
    assert status == 403


def test_a_form_without_its_csrf_token_is_refused(page: Any, live_server: str) -> None:
    sign_in(page, *DISPATCHER)
    status = page.evaluate(
        """async () => (await fetch('/console/regions/amsterdam/dispatch', {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: '',
            redirect: 'manual'})).status"""
    )
    assert status == 403
    # the sign-in form too: a cross-site post carries no token
    assert (
        httpx.post(
            f"{live_server}/console/sign-in", data={"email": DISPATCHER[0], "password": DISPATCHER[1]}
        ).status_code
        == 403
    )


def test_phone_width_has_no_horizontal_scroll(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    phone = context.new_page()
    sign_in(phone, *DISPATCHER)
    phone.goto("/console/queue?region=amsterdam")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    height = phone.evaluate("document.querySelector('.top nav a').getBoundingClientRect().height")
    assert height >= 44
    context.close()
