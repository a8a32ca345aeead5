from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from marketplace.users.models import Role
from tests.factories import Factory

PROBLEM = "application/problem+json"


async def test_health_and_readiness(client: AsyncTestClient) -> None:
    live = await client.get("/healthz")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert live.headers["x-request-id"]


async def test_openapi_schema_lists_operations(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation_ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"createToken", "getMe", "addSkill", "listSkills"} <= operation_ids
    assert (await client.get("/schema")).status_code == 200


async def test_login_and_me(client: AsyncTestClient, factory: Factory) -> None:
    await factory.login(Role.AGENT, email="agent@example.test", password="s3cret-pw")
    wrong = await client.post("/auth/token", json={"email": "agent@example.test", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith(PROBLEM)
    assert wrong.json()["type"].endswith("/unauthenticated")
    ok = await client.post("/auth/token", json={"email": "agent@example.test", "password": "s3cret-pw"})
    assert ok.status_code == 200, ok.text
    token = ok.json()["access_token"]
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "agent"


async def test_no_token_is_401_problem(client: AsyncTestClient) -> None:
    response = await client.get("/skills")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == "https://fieldhand.dev/problems/unauthenticated"


async def test_forged_token_is_401_problem(client: AsyncTestClient) -> None:
    response = await client.get("/skills", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")


async def test_wrong_role_is_403_problem(client: AsyncTestClient, factory: Factory) -> None:
    agent = await factory.login(Role.AGENT)
    response = await client.post(
        "/skills", json={"code": "hvac.repair", "name": "HVAC"}, headers=agent.headers
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == "https://fieldhand.dev/problems/forbidden"


async def test_validation_error_is_problem_with_stable_type(
    client: AsyncTestClient, factory: Factory
) -> None:
    admin = await factory.login(Role.ADMIN)
    response = await client.post("/skills", json={"code": "Not A Code!", "name": ""}, headers=admin.headers)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == "https://fieldhand.dev/problems/validation-failed"
    assert body["errors"]


async def test_unknown_route_is_problem(client: AsyncTestClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_idempotent_replay_and_conflicting_replay(client: AsyncTestClient, factory: Factory) -> None:
    admin = await factory.login(Role.ADMIN)
    headers = {**admin.headers, "Idempotency-Key": "k-1"}
    first = await client.post("/skills", json={"code": "gas.boiler", "name": "Gas boilers"}, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/skills", json={"code": "gas.boiler", "name": "Gas boilers"}, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    different = await client.post("/skills", json={"code": "gas.other", "name": "Other"}, headers=headers)
    assert different.status_code == 422
    assert different.json()["type"].endswith("/idempotency-key-reused")
    without_key = await client.post(
        "/skills", json={"code": "gas.boiler", "name": "Gas boilers"}, headers=admin.headers
    )
    assert without_key.status_code == 409  # a plain duplicate is a conflict, not a silent second row
    listed = (await client.get("/skills", headers=admin.headers)).json()
    assert [s["code"] for s in listed] == ["gas.boiler"]


async def test_concurrent_duplicates_create_once(client: AsyncTestClient, factory: Factory) -> None:
    admin = await factory.login(Role.ADMIN)
    headers = {**admin.headers, "Idempotency-Key": "race-1"}
    responses = await asyncio.gather(
        *[
            client.post("/skills", json={"code": "elec.panel", "name": "Panels"}, headers=headers)
            for _ in range(8)
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409}, codes
    assert 201 in codes
    for r in responses:
        if r.status_code == 409:
            assert r.json()["type"].endswith("/idempotency-key-in-progress")
    listed = (await client.get("/skills", headers=admin.headers)).json()
    assert [s["code"] for s in listed] == ["elec.panel"]
