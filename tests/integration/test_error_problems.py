"""Errors say what happened: an unreachable database is a 503 to retry, bad text is a 422."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory

PROBLEM = "application/problem+json"


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released without listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def database_down(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/fieldhand"
    app = create_app(settings.model_copy(update={"database_url": url}))
    async with AsyncTestClient(app) as client:
        yield client


async def test_database_down_is_a_503_problem_with_retry_after(
    database_down: AsyncTestClient, factory: Factory
) -> None:
    agent = await factory.login(Role.AGENT)  # the token is checked without the database
    response = await database_down.get("/work-orders", headers=agent.headers)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == "https://fieldhand.dev/problems/service-unavailable"
    assert int(response.headers["retry-after"]) > 0


async def test_database_down_during_an_idempotent_create_is_a_503(
    database_down: AsyncTestClient, factory: Factory
) -> None:
    admin = await factory.login(Role.ADMIN)
    response = await database_down.post(
        "/skills",
        json={"code": "hvac.repair", "name": "HVAC"},
        headers={**admin.headers, "Idempotency-Key": "k-1"},
    )
    assert response.status_code == 503, response.text
    assert "retry-after" in response.headers


async def test_nul_in_a_query_parameter_is_a_422_without_a_traceback(
    client: AsyncTestClient, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    agent = await factory.login(Role.AGENT)
    with caplog.at_level(logging.INFO):
        response = await client.get("/work-orders?status=a%00b", headers=agent.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["type"] == "https://fieldhand.dev/problems/validation-failed"
    assert problem["errors"][0]["source"] == "query" and problem["errors"][0]["field"] == "status"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_nul_in_a_json_body_is_a_422(client: AsyncTestClient, factory: Factory) -> None:
    admin = await factory.login(Role.ADMIN)
    response = await client.post(
        "/skills", content=b'{"code": "hvac.repair", "name": "HV\\u0000AC"}', headers=admin.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["source"] == "body"
    # An escaped backslash followed by "u0000" is ordinary text, not a NUL.
    fine = await client.post(
        "/skills", content=b'{"code": "hvac.repair", "name": "HV\\\\u0000AC"}', headers=admin.headers
    )
    assert fine.status_code == 201, fine.text
    assert fine.json()["name"] == "HV\\u0000AC"


async def test_nul_in_a_path_parameter_is_a_422(client: AsyncTestClient, factory: Factory) -> None:
    admin = await factory.login(Role.ADMIN)
    response = await client.put(
        "/admin/categories/a%00b",
        json={"name": "x", "required_skills": [{"code": "hvac.repair", "min_level": 1}]},
        headers=admin.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "https://fieldhand.dev/problems/validation-failed"
