"""Browser tests: Debian's Chromium driven by Playwright against the live server.

The demo city is seeded once per module into the session database (real rows through the
real seeding code); each test signs in through the sign-in form like a person would.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from demo.city import seed_demo_city
from marketplace.clock import utcnow
from marketplace.db import make_session_factory
from marketplace.models import metadata
from marketplace.settings import Settings
from tests.conftest import in_thread

CHROMIUM = os.environ.get("FIELDHAND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_TRUNCATE = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)


async def _seed(url: str, now: datetime, technicians: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {_TRUNCATE} RESTART IDENTITY CASCADE"))
        async with make_session_factory(engine)() as session:
            await seed_demo_city(session, technicians=technicians, customers=20, now=now)
            await session.execute(sa.text("UPDATE technicians SET auto_accept = true"))
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def demo_city(settings: Settings) -> None:
    in_thread(lambda: asyncio.run(_seed(settings.database_url, utcnow(), 12)))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module. Module-scoped on purpose: Playwright's sync API runs an
    event loop in the main thread while it is open, and later non-browser tests that call
    asyncio.run() would fail if it stayed open for the whole session."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run scripts/ensure-browser.sh (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_in(page: object, email: str, password: str) -> None:
    page.goto("/console/sign-in")  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def post_form(page: Any, url: str, **fields: str) -> int | str:
    """POST a form with the page's own CSRF token, as a hand-made request would: the status,
    or "redirect" for a redirect (which fetch does not follow here nor let us read)."""
    token = page.locator("input[name=_csrf]").first.input_value()
    result: int | str = page.evaluate(
        """async ([url, body]) => {
            const r = await fetch(url, {method: 'POST', redirect: 'manual',
                headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                body: new URLSearchParams(body).toString()});
            return r.type === 'opaqueredirect' ? 'redirect' : r.status; }""",
        [url, {"_csrf": token, **fields}],
    )
    return result
