"""`make run`'s demo customer signs in with the printed password and owns orders in
several states."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from demo.city import DEMO_CUSTOMER, demo_logins, seed_demo_city
from marketplace.clock import utcnow
from marketplace.db import unit_of_work


async def test_demo_customer_signs_in_and_sees_orders_to_book_booked_and_done(
    client: AsyncTestClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(session_factory) as s:
        assert await seed_demo_city(
            s, technicians=80, customers=4, days=3, now=utcnow(), customer_orders=True
        )
    login = next(x for x in demo_logins() if x.role == "customer")
    assert login.email == DEMO_CUSTOMER[0]
    token = await client.post("/auth/token", json={"email": login.email, "password": login.password})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    orders = (await client.get("/work-orders", headers=headers)).json()["items"]
    assert sorted(o["status"] for o in orders) == ["completed", "scheduled", "triaged"]
    booked = next(o for o in orders if o["status"] == "scheduled")
    detail = (await client.get(f"/work-orders/{booked['id']}", headers=headers)).json()
    assert detail["appointment"] is not None
