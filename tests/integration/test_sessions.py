"""Sessions end when they should: deactivation, deletion, logout, revoke-all, suspension."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.db import unit_of_work
from marketplace.users.models import RevokedToken, Role, User
from tests.factories import Factory
from tests.integration.mobile.helpers import assert_problem, ready_technician
from tests.integration.mobile.test_access import ENDPOINTS

M = "/mobile/v1"
READABLE_WHILE_SUSPENDED = {
    ("GET", "/me"),
    ("GET", "/offers/{id}"),
    ("GET", "/missed-offers"),
    ("GET", "/visits"),
    ("GET", "/visits/{id}"),
    ("GET", "/earnings"),
    ("GET", "/payouts/account"),
}


def _shape(path: str) -> str:
    parts = path.split("/")
    for i, part in enumerate(parts):
        try:
            uuid.UUID(part)
            parts[i] = "{id}"
        except ValueError:
            pass
    return "/".join(parts)


async def _login(client: AsyncTestClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_deactivated_users_token_is_refused(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    agent = await factory.login(Role.AGENT)
    assert (await client.get("/auth/me", headers=agent.headers)).status_code == 200
    assert (await client.get("/work-orders", headers=agent.headers)).status_code == 200
    async with unit_of_work(session_factory) as s:
        await s.execute(sa.update(User).where(User.id == agent.user.id).values(is_active=False))  # type: ignore[arg-type]
    assert_problem(await client.get("/auth/me", headers=agent.headers), 401, "unauthenticated")
    assert_problem(await client.get("/work-orders", headers=agent.headers), 401, "unauthenticated")


async def test_a_deleted_users_token_is_refused(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    agent = await factory.login(Role.AGENT)
    assert (await client.get("/work-orders", headers=agent.headers)).status_code == 200
    async with unit_of_work(session_factory) as s:
        await s.execute(sa.delete(User).where(User.id == agent.user.id))  # type: ignore[arg-type]
    assert_problem(await client.get("/work-orders", headers=agent.headers), 401, "unauthenticated")


async def test_a_token_whose_role_no_longer_matches_is_refused(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    dispatcher = await factory.login(Role.DISPATCHER)
    async with unit_of_work(session_factory) as s:
        await s.execute(
            sa.update(User).where(User.id == dispatcher.user.id).values(role=Role.AGENT.value)  # type: ignore[arg-type]
        )
    assert_problem(await client.get("/auth/me", headers=dispatcher.headers), 401, "unauthenticated")


async def test_logout_ends_only_this_session(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user_id = (await factory.login(Role.AGENT, email="logout@example.test", password="pw-logout-1")).user.id
    phone = await _login(client, "logout@example.test", "pw-logout-1")
    laptop = await _login(client, "logout@example.test", "pw-logout-1")
    assert_problem(await client.post("/auth/logout"), 401, "unauthenticated")

    out = await client.post("/auth/logout", headers=phone)
    assert out.status_code == 204, out.text
    assert_problem(await client.get("/auth/me", headers=phone), 401, "unauthenticated")
    assert_problem(await client.post("/auth/logout", headers=phone), 401, "unauthenticated")
    assert (await client.get("/auth/me", headers=laptop)).status_code == 200
    again = await _login(client, "logout@example.test", "pw-logout-1")
    assert (await client.get("/auth/me", headers=again)).status_code == 200

    async with session_factory() as s:
        rows = (await s.execute(sa.select(RevokedToken))).scalars().all()
    assert [r.user_id for r in rows] == [user_id]


async def test_admin_revokes_every_session_of_a_user(client: AsyncTestClient, factory: Factory) -> None:
    admin = await factory.login(Role.ADMIN)
    agent = await factory.login(Role.AGENT, email="lost-phone@example.test", password="pw-lost-1")
    second = await _login(client, "lost-phone@example.test", "pw-lost-1")

    assert_problem(
        await client.post(f"/admin/users/{agent.user.id}/revoke-sessions", headers=agent.headers),
        403,
        "forbidden",
    )
    assert_problem(
        await client.post(f"/admin/users/{uuid.uuid4()}/revoke-sessions", headers=admin.headers),
        404,
        "not-found",
    )
    revoked = await client.post(f"/admin/users/{agent.user.id}/revoke-sessions", headers=admin.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"user_id": str(agent.user.id), "token_version": 1}
    for headers in (agent.headers, second):
        assert_problem(await client.get("/auth/me", headers=headers), 401, "unauthenticated")
    assert (await client.get("/auth/me", headers=admin.headers)).status_code == 200
    fresh = await _login(client, "lost-phone@example.test", "pw-lost-1")
    assert (await client.get("/auth/me", headers=fresh)).status_code == 200


async def test_a_suspended_technician_reads_history_and_does_nothing_else(
    client: AsyncTestClient, factory: Factory
) -> None:
    admin = await factory.login(Role.ADMIN)
    tech = await ready_technician(factory)
    for method, path, payload in [
        ("GET", "/offers", None),
        ("PUT", "/shift-templates", {"templates": []}),
        (
            "POST",
            "/locations",
            {"pings": [{"lat": 52.37, "lng": 4.89, "recorded_at": "2030-01-01T00:00:00Z"}]},
        ),
    ]:
        response = await client.request(method, M + path, json=payload, headers=tech.headers)
        assert response.status_code == 200, (method, path, response.text)

    suspended = await client.post(
        f"/technicians/{tech.technician_id}/suspend", json={"reason": "complaints"}, headers=admin.headers
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"

    every_mobile_endpoint = [
        *ENDPOINTS,
        ("GET", "/payouts/account", None),
        ("POST", "/payouts/account-links", None),
    ]
    for method, path, payload in every_mobile_endpoint:
        response = await client.request(method, M + path, json=payload, headers=tech.headers)
        if (method, _shape(path)) in READABLE_WHILE_SUSPENDED:
            assert response.status_code in (200, 404), (method, path, response.text)
        else:
            body = assert_problem(response, 403, "technician-suspended")
            assert body["status"] == 403, (method, path)
    assert (await client.get("/auth/me", headers=tech.headers)).status_code == 200
    assert_problem(await client.get("/skills", headers=tech.headers), 403, "technician-suspended")

    reinstated = await client.post(f"/technicians/{tech.technician_id}/reinstate", headers=admin.headers)
    assert reinstated.json()["status"] == "active"
    assert (await client.get(f"{M}/offers", headers=tech.headers)).status_code == 200
    assert (await client.post("/auth/logout", headers=tech.headers)).status_code == 204
