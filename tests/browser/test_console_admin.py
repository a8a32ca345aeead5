"""The console's admin screens in a real Chromium: categories, SLA policies, technicians
and their certificates, staff accounts; and nobody but an admin reaches them."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.browser.conftest import post_form, sign_in
from tests.browser.test_console import ADMIN, AGENT, DISPATCHER

pytestmark = pytest.mark.usefixtures("demo_city")
SCREENS = ("categories", "sla-policies", "technicians", "staff")


def submitted(page: Any, note: str) -> None:
    page.wait_for_url(re.compile(rf"\?note={note}$"))


def test_admin_adds_a_category_sees_bad_input_refused_and_deletes_it(page: Any) -> None:
    sign_in(page, *ADMIN)
    assert page.url.endswith("/console/admin")
    page.click(".subnav >> text=Categories")
    code = f"gutter_{uuid.uuid4().hex[:6]}"
    page.fill("#code", code)
    page.fill("#name", "Blocked gutter")
    page.fill("#required_skills", "plumbing.leak:2")
    page.fill("#duration_min", "90")
    page.fill("#base_price_minor", "12000")
    page.click("text=Save category")
    submitted(page, "category-saved")
    row = page.locator(f"#categories tr[data-code='{code}']")
    assert "plumbing.leak ≥ 2" in row.inner_text()
    assert "90 min · 120.00" in row.inner_text()

    # the API's rules hold here too: an unknown skill is refused, nothing saved
    page.fill("#code", f"{code}_x")
    page.fill("#name", "Nonsense")
    page.fill("#required_skills", "juggling:3")
    page.click("text=Save category")
    assert page.locator("h1").inner_text() == "The request is not valid"
    assert "Unknown skills: juggling" in page.locator("#error-detail").inner_text()

    page.goto("/console/admin/categories")
    row.locator("button").click()
    submitted(page, "category-deleted")
    assert page.locator(f"#categories tr[data-code='{code}']").count() == 0


def test_admin_sets_an_sla_policy(page: Any) -> None:
    sign_in(page, *ADMIN)
    page.goto("/console/admin/sla-policies")
    page.select_option("#tier", "premium")
    page.select_option("#priority", "2")
    page.fill("#response_min", "30")
    page.fill("#resolution_min", "240")
    page.click("text=Save policy")
    submitted(page, "policy-saved")
    cells = page.locator("#policies tr[data-policy='premium-2'] td").all_inner_texts()
    assert cells == ["premium", "P2", "30 min", "240 min", "policy"]


def test_admin_suspends_and_reinstates_a_technician_and_reviews_a_certificate(page: Any) -> None:
    sign_in(page, *ADMIN)
    page.goto("/console/admin/technicians?status=active")
    links = [a.get_attribute("href") for a in page.locator("#technicians a").all()]
    assert len(links) == 12
    page.goto(links[0])
    page.fill("#suspend-reason", "Customer complaint under review")
    page.click("button:has-text('Suspend')")
    submitted(page, "technician-moved")
    assert page.locator("#tech-status").inner_text() == "suspended"
    page.click("button:has-text('Reinstate')")
    submitted(page, "technician-moved")
    assert page.locator("#tech-status").inner_text() == "active"

    # some demo technicians declared a certificate: reject one, then verify it again
    for link in links:
        page.goto(link)
        if page.locator("#certificates li[data-certificate]").count():
            break
    certificate = page.locator("#certificates li[data-certificate]").first
    certificate.locator("button:has-text('Reject')").click()
    submitted(page, "certificate-reviewed")
    assert page.locator("#certificates .state").first.inner_text() == "rejected"
    page.locator("#certificates li[data-certificate]").first.locator("button:has-text('Verify')").click()
    submitted(page, "certificate-reviewed")
    assert page.locator("#certificates .state").first.inner_text() == "verified"


def test_admin_invites_a_staff_member_changes_their_role_and_deactivates_them(page: Any) -> None:
    sign_in(page, *ADMIN)
    page.goto("/console/admin/staff")
    email = f"new-{uuid.uuid4().hex[:6]}@demo.fieldhand.dev"
    page.fill("#email", email)
    page.fill("#display_name", "Nia New")
    page.select_option("#role", "agent")
    page.click("text=Send invitation")
    submitted(page, "invited")
    member = page.locator(f"#staff li[data-email='{email}']")
    assert "agent · invited" in member.inner_text()
    member.locator("select").select_option("dispatcher")
    member.locator("button:has-text('Change role')").click()
    submitted(page, "role-changed")
    assert "dispatcher · invited" in member.inner_text()
    member.locator("button:has-text('Deactivate')").click()
    submitted(page, "deactivated")
    assert member.locator(".state").inner_text() == "deactivated"
    assert member.locator("button").count() == 0


@pytest.mark.parametrize("who", [DISPATCHER, AGENT], ids=["dispatcher", "agent"])
def test_only_admins_reach_the_admin_screens(page: Any, who: tuple[str, str]) -> None:
    sign_in(page, *who)
    for screen in SCREENS:
        assert page.goto(f"/console/admin/{screen}").status == 403
    assert page.goto("/console/admin").status == 403
    page.goto("/console/")  # their own home, for a CSRF token of their own
    assert post_form(page, "/console/admin/staff", email="x@y.z", display_name="X", role="admin") == 403
    assert post_form(page, "/console/admin/sla-policies", tier="premium", priority="1") == 403


def test_admin_screens_fit_a_phone(browser: Any, live_server: str) -> None:
    phone = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}).new_page()
    sign_in(phone, *ADMIN)
    for path in [*(f"/console/admin/{screen}" for screen in SCREENS), "/console/callbacks"]:
        phone.goto(path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
    phone.context.close()
