"""Through the HTTP API: a booking sends a real confirmation e-mail (read from the SMTP
server) in the customer's time zone; customers and technicians read their own inbox only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.db import unit_of_work
from marketplace.messages.models import Channel, DeliveryStatus, Message
from marketplace.messages.service import Outgoing, Recipient, compose
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.booking.helpers import (
    add_technician,
    assert_problem,
    customer_login,
    escalate,
    seed_catalog,
    tomorrow,
)
from tests.mailbox import Mailbox

SF = async_sessionmaker[AsyncSession]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
async def catalog(session_factory: SF) -> None:
    await seed_catalog(session_factory)


async def test_booking_through_the_api_sends_the_confirmation_email(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: SF,
    settings: Settings,
    app_mailbox: Mailbox,
) -> None:
    await add_technician(session_factory, shifts=[(tomorrow(8), tomorrow(18))])
    customer = await customer_login(session_factory, settings, external_id="mail-1")
    agent = await factory.login(Role.AGENT)
    escalated = await escalate(
        client,
        agent,
        "T-MAIL-1",
        "mail-1",
        customer={"external_id": "mail-1", "name": "Ada", "tier": "standard", "timezone": "Europe/Amsterdam"},
    )
    assert escalated.status_code == 201, escalated.text
    order_id = escalated.json()["work_order"]["id"]
    start = tomorrow(10)
    booked = await client.post(
        f"/work-orders/{order_id}/appointment",
        json={"window_start": start.isoformat(), "window_end": start.replace(hour=12).isoformat()},
        headers={**customer.headers, "Idempotency-Key": "mail-book-1"},
    )
    assert booked.status_code == 201, booked.text
    await client.app.state.queue.drain()

    mails = app_mailbox.wait_for(customer.user.email, count=2)
    assert sorted(m.subject for m in mails)[0] == "Choose your visit time"  # the order's sign-in link
    [mail] = [m for m in mails if m.subject.startswith("Your visit is booked")]
    local_start = start.astimezone(AMSTERDAM)
    local_end = start.replace(hour=12).astimezone(AMSTERDAM)
    assert mail.subject.startswith("Your visit is booked")
    assert f"{local_start:%H:%M}-{local_end:%H:%M}" in mail.subject  # the customer's wall clock
    assert f"between {local_start:%H:%M} and {local_end:%H:%M} (Europe/Amsterdam)" in mail.body
    assert "Boiler shows error E23" in mail.body and mail.body.startswith("Hello Ada")

    inbox = await client.get("/messages", headers=customer.headers)
    assert inbox.status_code == 200, inbox.text
    [item] = [i for i in inbox.json()["items"] if i["template"] == "booking_confirmation"]
    assert item["subject"] == mail.subject and item["work_order_id"] == order_id
    async with session_factory() as s:
        [email] = (
            await s.execute(
                select(Message).where(
                    Message.channel == Channel.EMAIL, Message.template == "booking_confirmation"
                )
            )
        ).scalars()
    assert email.status == DeliveryStatus.SENT and email.delivered_via == "smtp" and email.attempts == 1
    assert str(email.id) in mail.message_id

    replay = await client.post(  # a retried request tells the customer nothing new
        f"/work-orders/{order_id}/appointment",
        json={"window_start": start.isoformat(), "window_end": start.replace(hour=12).isoformat()},
        headers={**customer.headers, "Idempotency-Key": "mail-book-1"},
    )
    assert replay.status_code == 201
    await client.app.state.queue.drain()
    assert len(app_mailbox.to(customer.user.email)) == 2  # the sign-in link and one confirmation


async def tell(sf: SF, recipient: Recipient, n: int, *, key: str) -> None:
    async with unit_of_work(sf) as s:
        for i in range(n):
            await compose(
                s,
                Outgoing(
                    recipient,
                    "visit_assigned",
                    {"summary": f"Visit {i}", "arrival": datetime(2026, 5, 4, 9, i, tzinfo=UTC)},
                    now=datetime(2026, 5, 4, 8, i, tzinfo=UTC),
                    dedupe_key=f"{key}-{i}",
                ),
            )


async def test_technicians_page_through_their_own_inbox_only(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    mine = await factory.login(Role.TECHNICIAN)
    theirs = await factory.login(Role.TECHNICIAN)
    assert mine.user.technician_id and theirs.user.technician_id
    await tell(session_factory, Recipient(technician_id=mine.user.technician_id), 3, key="mine")
    await tell(session_factory, Recipient(technician_id=theirs.user.technician_id), 1, key="theirs")

    first = (await client.get("/mobile/v1/messages?limit=2", headers=mine.headers)).json()
    assert [i["subject"] for i in first["items"]] == [
        "New visit on your plan: Visit 2",
        "New visit on your plan: Visit 1",
    ]
    assert first["next_cursor"]
    second = (
        await client.get(f"/mobile/v1/messages?limit=2&cursor={first['next_cursor']}", headers=mine.headers)
    ).json()
    assert [i["subject"] for i in second["items"]] == ["New visit on your plan: Visit 0"]
    assert second["next_cursor"] is None
    other = (await client.get("/mobile/v1/messages", headers=theirs.headers)).json()
    assert [i["subject"] for i in other["items"]] == ["New visit on your plan: Visit 0"]
    assert other["items"][0]["id"] not in {i["id"] for i in first["items"] + second["items"]}

    assert_problem(
        await client.get("/mobile/v1/messages?cursor=not-a-cursor", headers=mine.headers),
        422,
        "invalid-input",
    )
    assert_problem(await client.get("/mobile/v1/messages"), 401, "unauthenticated")
    customer = await factory.login(Role.CUSTOMER)
    assert_problem(await client.get("/mobile/v1/messages", headers=customer.headers), 403, "forbidden")


async def test_customers_see_their_own_messages_only(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    ada = await factory.login(Role.CUSTOMER, email="ada-inbox@example.test")
    bob = await factory.login(Role.CUSTOMER, email="bob-inbox@example.test")
    assert ada.user.customer_id
    async with unit_of_work(session_factory) as s:
        await compose(
            s,
            Outgoing(
                Recipient(customer_id=ada.user.customer_id),
                "reassigning",
                {"summary": "Boiler"},
                now=datetime(2026, 5, 4, 8, tzinfo=UTC),
                dedupe_key=f"reassigning-{uuid.uuid4()}",
            ),
        )
    mine = (await client.get("/messages", headers=ada.headers)).json()
    assert [i["template"] for i in mine["items"]] == ["reassigning"]
    assert (await client.get("/messages", headers=bob.headers)).json() == {"items": [], "next_cursor": None}
    tech = await factory.login(Role.TECHNICIAN)
    assert_problem(await client.get("/messages", headers=tech.headers), 403, "forbidden")
    assert_problem(await client.get("/messages"), 401, "unauthenticated")


async def test_list_messages_is_documented_with_its_problems(client: AsyncTestClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    customer = spec["paths"]["/messages"]["get"]
    technician = spec["paths"]["/mobile/v1/messages"]["get"]
    for operation in (customer, technician):
        assert {"200", "401", "403", "422"} <= set(operation["responses"])
        assert "application/problem+json" in operation["responses"]["403"]["content"]
    assert customer["operationId"] == "listMessages"
    assert technician["operationId"] == "listTechnicianMessages"
