"""The console's work-order actions in a real Chromium: ranked candidates with why / why not,
offering to a chosen technician, release, expedite, and who may do which."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from marketplace.clock import utcnow
from marketplace.settings import Settings
from tests.browser.conftest import _seed, post_form, sign_in
from tests.browser.test_console import DISPATCHER, escalate
from tests.browser.test_customer_app import access_path, agent_headers
from tests.conftest import in_thread

pytestmark = pytest.mark.usefixtures("demo_city")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def demo_city(settings: Settings) -> None:
    """The demo city at its full size (the other console tests use a small one): enough
    technicians that a midday window has several who could take a job."""
    in_thread(lambda: asyncio.run(_seed(settings.database_url, utcnow(), 80)))


def book_a_midday_window(
    browser: Any, live_server: str, order_id: str, then_ask_for_a_call: bool = False
) -> None:
    """The customer books through their link, choosing an early-afternoon window (Amsterdam
    time), when most shifts overlap; the first offered window if there is none. Then, if
    asked, they press "Talk to a person"."""
    phone = browser.new_context(base_url=live_server).new_page()
    phone.goto(access_path(live_server, agent_headers(live_server), order_id))
    values = phone.eval_on_selector_all("#slots input[name=window]", "els => els.map(e => e.value)")
    midday = [
        v for v in values if datetime.fromtimestamp(int(v.split("-")[0]), AMSTERDAM).hour in (12, 13, 14)
    ]
    phone.check(f"#slots input[value='{(midday or values)[0]}']")
    phone.click("text=Book this time")
    phone.wait_for_url(re.compile(rf"/app/orders/{order_id}\?note=booked$"))
    if then_ask_for_a_call:
        phone.click("#talk button")
        phone.wait_for_url(re.compile(r"\?note=callback$"))
    phone.context.close()


def escalate_low_priority(page: Any, summary: str, where: tuple[float, float] | None = None) -> str:
    """An agent escalates a P4 ticket (no instant dispatch, no booked window: it waits)."""
    return escalate(page, f"T-{uuid.uuid4().hex[:6]}", summary, priority="4", where=where)


def timeline(page: Any) -> str:
    return str(page.locator("#timeline").inner_text())


def test_dispatcher_offers_to_a_chosen_candidate_then_releases_it(
    page: Any, browser: Any, live_server: str
) -> None:
    order_id = escalate_low_priority(page, "Dripping tap under the sink")
    page.context.close()
    book_a_midday_window(browser, live_server, order_id)
    dispatcher = browser.new_context(base_url=live_server).new_page()
    sign_in(dispatcher, *DISPATCHER)
    dispatcher.goto(f"/console/work-orders/{order_id}")
    dispatcher.click("text=Candidates: who could take it, and why")
    dispatcher.wait_for_url(re.compile(rf"/console/work-orders/{order_id}/candidates$"))

    ranked = dispatcher.locator("#ranked li.candidate")
    assert ranked.count() >= 2
    first, second = ranked.nth(0), ranked.nth(1)
    assert "Why:" in first.inner_text() and " away" in first.locator(".why").inner_text()
    assert first.locator(".why-not").count() == 0  # the first choice has no "why not"
    assert second.locator(".why-not").inner_text().startswith("Why not first:")
    # the demo city has technicians outside the job's skills or area: each says why not
    excluded = dispatcher.locator("#excluded li[data-technician]")
    assert excluded.count() >= 1
    assert all(excluded.nth(i).locator(".why-not").inner_text() for i in range(excluded.count()))

    chosen_name = second.locator("strong").inner_text().split(". ", 1)[1]
    chosen_id = second.get_attribute("data-technician")
    # keyboard only: focus the second candidate's offer button and press Enter
    second.locator("button").focus()
    dispatcher.keyboard.press("Enter")
    dispatcher.wait_for_url(re.compile(rf"/console/work-orders/{order_id}\?note="))
    # demo technicians take work automatically, so the chosen one has the job now
    assert "Assigned" in dispatcher.locator("#note").inner_text()
    assert dispatcher.locator("#wo-status").inner_text() == "assigned"
    assert f"by Dee Dispatcher (dispatcher): offered to {chosen_name} (rank 2)" in timeline(dispatcher)
    # the order's file: who has it, when they arrive, the card hold, messages, explanations
    assert dispatcher.locator("#wo-technician").inner_text() == chosen_name
    assert "UTC" in dispatcher.locator("#wo-eta").inner_text()
    assert dispatcher.locator("#wo-payment").inner_text() != "none yet"
    assert dispatcher.locator("#messages li", has_text="to customer").count() >= 1
    won = dispatcher.locator("#explanations tr", has_text=chosen_name).filter(has_text="won")
    assert won.count() == 1

    # choosing them again changes nothing
    dispatcher.goto(f"/console/work-orders/{order_id}")
    assert (
        post_form(dispatcher, f"/console/work-orders/{order_id}/offers", technician_id=chosen_id)
        == "redirect"
    )
    dispatcher.goto(f"/console/work-orders/{order_id}")
    assert timeline(dispatcher).count("offered to") == 1

    dispatcher.fill("#release-reason", "Technician's van broke down")
    dispatcher.click("#actions button:has-text('Release')")
    dispatcher.wait_for_url(re.compile(r"note=released"))
    assert dispatcher.locator("#wo-status").inner_text() == "scheduled"
    assert "Technician's van broke down" in timeline(dispatcher)

    # the released technician is out for this order, with the reason
    dispatcher.goto(f"/console/work-orders/{order_id}/candidates")
    out = dispatcher.locator(f"#excluded li[data-technician='{chosen_id}']")
    assert "taken back from them" in out.inner_text()
    assert dispatcher.locator(f"#ranked li[data-technician='{chosen_id}']").count() == 0
    # and offering it to them anyway is refused with that reason
    status = post_form(dispatcher, f"/console/work-orders/{order_id}/offers", technician_id=chosen_id)
    assert status == 409
    dispatcher.context.close()


def test_agent_with_authority_expedites_and_the_timeline_says_who_and_why(page: Any) -> None:
    order_id = escalate_low_priority(page, "Radiator cold in the bedroom")
    assert page.locator("#wo-priority").inner_text() == "4"
    page.fill("#expedite-reason", "Customer is 92 and the flat is freezing")
    page.click("#actions button:has-text('Expedite')")
    page.wait_for_url(re.compile(rf"/console/work-orders/{order_id}\?note=expedited"))
    assert page.locator("#wo-priority").inner_text() == "1"
    assert "Expedited to P1" in page.locator("#note").inner_text()
    line = page.locator("#timeline li", has_text="expedited")
    assert "by Sam Support (agent): Customer is 92 and the flat is freezing" in line.first.inner_text()
    # agents do not choose technicians: no candidates link, no release form
    assert page.locator("text=Candidates: who could take it").count() == 0
    assert page.locator("#release-reason").count() == 0


def test_agent_cannot_act_as_a_dispatcher_on_a_work_order_and_forms_need_their_token(
    page: Any, browser: Any, live_server: str
) -> None:
    order_id = escalate_low_priority(page, "Boiler pressure dropping")
    base = f"/console/work-orders/{order_id}"
    assert page.goto(f"{base}/candidates").status == 403
    page.goto(base)
    anyone = str(uuid.uuid4())
    assert post_form(page, f"{base}/offers", technician_id=anyone) == 403
    assert post_form(page, f"{base}/release", reason="not mine to release") == 403

    dispatcher = browser.new_context(base_url=live_server).new_page()
    sign_in(dispatcher, *DISPATCHER)
    # no action goes through without the form's token
    dispatcher.goto(base)
    status = dispatcher.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', redirect: 'manual',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'reason=x'})).status""",
        f"{base}/release",
    )
    assert status == 403
    status = dispatcher.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', redirect: 'manual',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'reason=x'})).status""",
        f"{base}/expedite",
    )
    assert status == 403
    dispatcher.goto(base)
    assert "Boiler pressure dropping" in dispatcher.locator("h1").inner_text()
    assert "expedited" not in timeline(dispatcher)
    dispatcher.context.close()


def test_dispatcher_expedites_from_the_work_order_page(page: Any, browser: Any, live_server: str) -> None:
    order_id = escalate_low_priority(page, "Radiators cold upstairs")
    dispatcher = browser.new_context(base_url=live_server).new_page()
    sign_in(dispatcher, *DISPATCHER)
    dispatcher.goto(f"/console/work-orders/{order_id}")
    dispatcher.fill("#expedite-reason", "Heating out across the building")
    dispatcher.click("#actions button:has-text('Expedite')")
    dispatcher.wait_for_url(re.compile(rf"/console/work-orders/{order_id}\?note=expedited"))
    assert "Expedited to P1" in dispatcher.locator("#note").inner_text()
    assert dispatcher.locator("#wo-priority").inner_text() == "1"
    line = dispatcher.locator("#timeline li", has_text="expedited")
    assert "(dispatcher): Heating out across the building" in line.first.inner_text()
    dispatcher.context.close()


def test_agent_resolves_a_customers_callback_request_with_what_was_agreed(
    page: Any, browser: Any, live_server: str
) -> None:
    order_id = escalate_low_priority(page, "Washing machine leaking on the floor")
    book_a_midday_window(browser, live_server, order_id, then_ask_for_a_call=True)
    page.click("nav >> text=Callbacks")
    page.wait_for_url(re.compile(r"/console/callbacks$"))
    request = page.locator(
        "#callback-requests li", has=page.locator(f"a[href='/console/work-orders/{order_id}']")
    )
    assert request.count() == 1
    request.locator("textarea").fill("Customer keeps the booked window; technician to call 30 min ahead")
    request.locator("button:has-text('Resolve')").click()
    page.wait_for_url(re.compile(r"/console/callbacks\?note=resolved$"))
    assert page.locator(f"#callback-requests a[href='/console/work-orders/{order_id}']").count() == 0
    page.goto(f"/console/work-orders/{order_id}")
    line = page.locator("#timeline li", has_text="callback resolved")
    assert "by Sam Support (agent): Customer keeps the booked window" in line.inner_text()
    assert page.locator("#wo-appointment").inner_text() != "not booked"


def test_agent_sends_an_order_nobody_could_take_back_to_dispatch_with_the_agreed_outcome(page: Any) -> None:
    # Madrid: no Amsterdam technician serves it, so the order waits for a call
    order_id = escalate_low_priority(page, "Leak at the customer's holiday flat", where=(40.4168, -3.7038))
    assert page.locator("#wo-status").inner_text() == "needs_callback"
    page.goto("/console/callbacks")
    waiting = page.locator(f"#needs-callback li[data-work-order='{order_id}']")
    assert "no qualified technician serves this location" in waiting.inner_text()
    waiting.locator("textarea").fill("Customer will find a local plumber; keep it open a week")
    waiting.locator("button").click()
    page.wait_for_url(re.compile(r"note=agreed$"))
    assert page.locator(f"#needs-callback li[data-work-order='{order_id}']").count() == 0
    page.goto(f"/console/work-orders/{order_id}")
    assert page.locator("#wo-status").inner_text() == "triaged"
    line = page.locator("#timeline li", has_text="agreed on a call")
    assert "by Sam Support (agent)" in line.inner_text()
    assert "local plumber" in line.inner_text()
