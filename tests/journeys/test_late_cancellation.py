"""(d) The customer cancels inside the fee window: the fee is charged to the card.

Public doors only (HTTP, the SMTP mailbox, the Stripe test server, the workers); the first
admin comes from `fieldhand create-admin`'s code path (`api.cli.cmd_create_admin`),
everything else over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from marketplace.settings import Settings
from tests.journeys.conftest import Worker
from tests.journeys.doors import (
    Headers,
    catalog,
    customer_from_mail,
    escalate,
    first_admin,
    ok,
    staff,
    technician,
)
from tests.mailbox import Mailbox

pytestmark = pytest.mark.clock

CY = "cy@example.test"


async def booked_soon(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, settings: Settings
) -> tuple[str, Headers, dict[str, Any]]:
    """An escalated order booked, card authorised, in the first window (within 24 h)."""
    admin = await first_admin(http, settings)
    agent = await staff(http, worker, mailbox, admin, "agent@fieldhand.test", "agent")
    await catalog(http, admin)
    await technician(http, admin, "sam@fixers.test", hours=(-1, 12))
    order = (await escalate(http, agent, "T-300", CY))["work_order"]
    customer = await customer_from_mail(http, worker, mailbox, CY)
    base = f"/work-orders/{order['id']}"
    slot = ok(await http.get(f"{base}/slots", headers=customer))["slots"][0]
    ok(await http.put("/payment-method", json={"payment_method": "pm_card_visa"}, headers=customer))
    window = {"window_start": slot["start"], "window_end": slot["end"]}
    booked = ok(await http.post(f"{base}/appointment", json=window, headers=customer), 201)
    await worker.settle()
    assert ok(await http.get(f"{base}/payment", headers=customer))["status"] == "authorized"
    return base, customer, booked


async def test_cancelling_inside_the_fee_window_charges_the_fee(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, journey_settings: Settings
) -> None:
    base, customer, _ = await booked_soon(http, worker, mailbox, journey_settings)
    price = ok(await http.get(f"{base}/quote", headers=customer))["amount"]["amount"]

    cancelled = ok(await http.post(f"{base}/appointment/cancel", json={"reason": "away"}, headers=customer))
    assert datetime.now(UTC) > datetime.fromisoformat(cancelled["free_cancellation_until"])
    fee = cancelled["cancellation_fee"]["amount"]
    assert fee == price // 2 and fee > 0, (fee, price)
    assert cancelled["work_order_status"] == "cancelled"

    await worker.settle()
    payment = ok(await http.get(f"{base}/payment", headers=customer))
    assert payment["cancellation_fee"]["amount"] == fee, payment
    assert payment["captured"]["amount"] == fee, payment


async def test_the_fee_is_shown_before_the_customer_confirms(
    http: AsyncTestClient, worker: Worker, mailbox: Mailbox, journey_settings: Settings
) -> None:
    base, customer, _ = await booked_soon(http, worker, mailbox, journey_settings)
    quote = ok(await http.get(f"{base}/quote", headers=customer))
    shown = quote["cancellation_fee"]
    assert shown["amount"] == quote["amount"]["amount"] // 2 and shown["amount"] > 0, quote

    cancelled = ok(await http.post(f"{base}/appointment/cancel", json={"reason": "away"}, headers=customer))
    assert cancelled["cancellation_fee"] == shown  # what was shown is what is charged
