"""A new work order mails its customer a sign-in link; the link signs them in to their own
orders once, and staff can re-issue or withdraw it. Customers also sign up themselves and
join helpdesk customers only by a confirmed address."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.access import customers as access
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.messages.models import Message
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.access.helpers import mailed_link
from tests.integration.booking.helpers import assert_problem, escalate, seed_catalog
from tests.mailbox import Mailbox

SF = async_sessionmaker[AsyncSession]
ADA = "ada@example.test"


def customer(external_id: str, email: str | None = None, **kw: str) -> dict[str, str]:
    body = {"external_id": external_id, "name": f"Customer {external_id}", "tier": "standard", **kw}
    if email:
        body["email"] = email
    return body


async def test_escalation_mails_a_link_that_signs_the_customer_in_to_their_own_orders_once(
    client: AsyncTestClient, factory: Factory, session_factory: SF, app_mailbox: Mailbox
) -> None:
    await seed_catalog(session_factory)
    agent = await factory.login(Role.AGENT)
    mine = await escalate(client, agent, "T-1", "C-1", customer=customer("C-1", ADA))
    theirs = await escalate(client, agent, "T-2", "C-2", customer=customer("C-2", "bob@example.test"))
    assert mine.status_code == theirs.status_code == 201, mine.text
    my_order = mine.json()["work_order"]["id"]

    token = await mailed_link(client, app_mailbox, ADA, "access")
    [mail] = app_mailbox.to(ADA)
    assert mail.subject == "Choose your visit time"

    signed_in = await client.post("/auth/access-links/exchange", json={"token": token})
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert (body["role"], body["work_order_id"], body["purpose"]) == (
        "customer",
        my_order,
        "choose_visit_time",
    )
    headers = {"Authorization": f"Bearer {body['access_token']}"}

    assert (await client.get(f"/work-orders/{my_order}", headers=headers)).status_code == 200
    other = await client.get(f"/work-orders/{theirs.json()['work_order']['id']}", headers=headers)
    assert_problem(other, 404, "not-found")
    listed = (await client.get("/work-orders", headers=headers)).json()["items"]
    assert [o["id"] for o in listed] == [my_order]
    inbox = (await client.get("/messages", headers=headers)).json()["items"]
    assert [m["template"] for m in inbox] == ["visit_to_book"]

    # single use: the same link again is refused, the session it gave stays
    assert_problem(
        await client.post("/auth/access-links/exchange", json={"token": token}), 410, "access-link-used"
    )
    assert (await client.get("/auth/me", headers=headers)).json()["customer_id"] == body["customer_id"]
    # the same ticket again sends no second link
    await escalate(client, agent, "T-1", "C-1", customer=customer("C-1", ADA))
    await client.app.state.queue.drain()
    assert len(app_mailbox.to(ADA)) == 1


async def test_forged_expired_and_revoked_links_are_refused(
    client: AsyncTestClient, factory: Factory, session_factory: SF, settings: Settings, app_mailbox: Mailbox
) -> None:
    await seed_catalog(session_factory)
    agent = await factory.login(Role.AGENT)
    order_id = (await escalate(client, agent, "T-1", "C-1", customer=customer("C-1", ADA))).json()[
        "work_order"
    ]["id"]
    mailed = await mailed_link(client, app_mailbox, ADA, "access")

    forged = mailed[:-4] + ("AAAA" if not mailed.endswith("AAAA") else "BBBB")
    assert_problem(
        await client.post("/auth/access-links/exchange", json={"token": forged}), 401, "access-link-invalid"
    )

    # an agent re-issues on the call: the new link works, the mailed one is withdrawn
    reissued = await client.post(f"/work-orders/{order_id}/access-links", headers=agent.headers)
    assert reissued.status_code == 201, reissued.text
    url = reissued.json()["url"]
    assert url.startswith(f"{settings.public_url}/app/access/")
    assert_problem(
        await client.post("/auth/access-links/exchange", json={"token": mailed}), 410, "access-link-revoked"
    )
    revoked = await client.post(f"/work-orders/{order_id}/access-links/revoke", headers=agent.headers)
    assert revoked.json()["revoked"] == 1
    assert_problem(
        await client.post("/auth/access-links/exchange", json={"token": url.rsplit("/", 1)[1]}),
        410,
        "access-link-revoked",
    )

    # a link issued longer ago than the policy allows has expired
    import uuid

    long_ago = utcnow() - timedelta(seconds=settings.access_link_ttl_s + 60)
    staff = Principal(user_id=agent.user.id, role=Role.AGENT)
    async with unit_of_work(session_factory) as s:
        old = await access.reissue(s, settings, staff, uuid.UUID(order_id), now=long_ago, send=False)
    assert_problem(
        await client.post("/auth/access-links/exchange", json={"token": old.token}),
        410,
        "access-link-expired",
    )

    # customers and technicians cannot issue links
    someone = await factory.login(Role.CUSTOMER)
    assert_problem(
        await client.post(f"/work-orders/{order_id}/access-links", headers=someone.headers), 403, "forbidden"
    )


async def test_sign_up_confirm_then_sign_in_and_join_helpdesk_customers_by_confirmed_address_only(
    client: AsyncTestClient, factory: Factory, session_factory: SF, app_mailbox: Mailbox
) -> None:
    await seed_catalog(session_factory)
    password = "a-long-password-1"
    signup = await client.post("/customers/signup", json={"email": ADA, "name": "Ada", "password": password})
    assert signup.status_code == 202, signup.text
    login = {"email": ADA, "password": password}
    assert_problem(await client.post("/auth/token", json=login), 401, "email-not-verified")

    # while the address is unconfirmed, a helpdesk customer with it stays a separate customer
    agent = await factory.login(Role.AGENT)
    early = await escalate(client, agent, "T-0", "Z-1", customer=customer("Z-1", ADA))

    token = await mailed_link(client, app_mailbox, ADA, "verify-email")
    verified = await client.post("/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert_problem(await client.post("/auth/verify-email", json={"token": token}), 410, "access-link-used")
    signed_in = await client.post("/auth/token", json=login)
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    me = (await client.get("/auth/me", headers=headers)).json()

    # confirmed: the same person from two helpdesks is this one customer
    one = await escalate(client, agent, "T-1", "F-9", customer=customer("F-9", ADA), helpdesk="freshdesk")
    two = await escalate(client, agent, "T-2", "Z-7", customer=customer("Z-7", ADA.upper()))
    assert (
        one.json()["work_order"]["customer_id"]
        == two.json()["work_order"]["customer_id"]
        == me["customer_id"]
    )
    assert early.json()["work_order"]["customer_id"] != me["customer_id"]
    listed = (await client.get("/work-orders", headers=headers)).json()["items"]
    assert sorted(o["id"] for o in listed) == sorted(
        [one.json()["work_order"]["id"], two.json()["work_order"]["id"]]
    )

    # signing up again with a confirmed address makes nothing and says nothing different
    again = await client.post(
        "/customers/signup", json={"email": ADA, "name": "X", "password": "other-password-2"}
    )
    assert again.status_code == 202
    assert (await client.post("/auth/token", json=login)).status_code == 200


async def test_a_customer_with_only_a_phone_gets_the_link_by_sms_and_a_login_without_an_address(
    client: AsyncTestClient, factory: Factory, session_factory: SF, app_mailbox: Mailbox
) -> None:
    await seed_catalog(session_factory)
    agent = await factory.login(Role.AGENT)
    escalated = await escalate(client, agent, "T-1", "C-1", customer=customer("C-1", phone="+31600000009"))
    order_id = escalated.json()["work_order"]["id"]
    await client.app.state.queue.drain()
    async with session_factory() as s:
        [sms] = (await s.execute(select(Message).where(Message.template == "access_link"))).scalars()
    assert sms.channel == "sms" and sms.status == "sent"
    token = sms.body.rsplit("/", 1)[1]
    signed_in = await client.post("/auth/access-links/exchange", json={"token": token})
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert (await client.get(f"/work-orders/{order_id}", headers=headers)).status_code == 200

    # the login made for them has a placeholder address that nothing is ever sent to
    resent = await client.post(
        f"/work-orders/{order_id}/access-links", json={"send": True}, headers=agent.headers
    )
    assert resent.status_code == 201 and resent.json()["sent"] is True
    await client.app.state.queue.drain()
    async with session_factory() as s:
        sent = (await s.execute(select(Message).where(Message.template == "access_link"))).scalars()
        assert sorted(m.channel for m in sent) == ["sms", "sms"]
    assert app_mailbox.mails == []
