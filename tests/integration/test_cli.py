"""The `fieldhand` command as an operator meets it: run without demo data, create the admin."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.cli import main, serving_settings
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.conftest import ROOT, in_thread
from tests.factories import Factory
from tests.serving import await_health

LOGIN_LINE = re.compile(r"^\s+(admin|agent|dispatcher|customer|technician)\s+(\S+@\S+)\s+(\S+)\s*$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`fieldhand run` on a free port against the test database: (base URL, its output)."""
    port = _free_port()
    env = {
        **os.environ,
        "FIELDHAND_DATABASE_URL": settings.database_url,
        "FIELDHAND_JWT_SECRET": settings.jwt_secret,
        "FIELDHAND_ENVIRONMENT": "test",
        "FIELDHAND_RUN_PERIODIC_JOBS": "false",
        "FIELDHAND_LOG_LEVEL": "WARNING",
    }
    env.pop("FIELDHAND_REDIS_URL", None)
    env.pop("FIELDHAND_PUBLIC_BASE_URL", None)
    output = tmp_path_factory.mktemp("run") / "run.out"
    with output.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await_health(base, proc, within_s=60, describe=output.read_text)
        yield base, output.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_run_without_seed_prints_only_logins_that_work(served: tuple[str, str]) -> None:
    base, banner = served
    logins = [m.groups() for m in map(LOGIN_LINE.match, banner.splitlines()) if m]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _role, email, password in logins:
            response = await http.post("/auth/token", json={"email": email, "password": password})
            assert response.status_code == 200, (email, response.text)
    if not logins:
        assert "create-admin" in banner, banner


async def test_the_payout_onboarding_link_returns_to_the_port_served_on(
    served: tuple[str, str], factory: Factory
) -> None:
    base, _ = served
    port = base.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        tech = await factory.login(Role.TECHNICIAN)
        asked = await http.post("/mobile/v1/payouts/account-links", headers=tech.headers)
        assert asked.status_code in (201, 202), asked.text
        link = asked.json()
        deadline = time.monotonic() + 30
        while link["status"] == "pending" and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            link = (
                await http.get(f"/mobile/v1/payouts/account-links/{link['id']}", headers=tech.headers)
            ).json()
    assert link["status"] == "ready", link
    assert link["url"].startswith(f"http://localhost:{port}/mobile/v1/payouts/return"), link["url"]


def test_the_public_base_url_defaults_to_the_served_address_and_can_be_set() -> None:
    served = serving_settings(Settings(public_base_url=None), "0.0.0.0", 8123)
    assert served.connect_return_url == "http://localhost:8123/mobile/v1/payouts/return"
    assert served.connect_refresh_url == "http://localhost:8123/mobile/v1/payouts/refresh"
    public = serving_settings(Settings(public_base_url="https://api.example.com/"), "0.0.0.0", 8123)
    assert public.connect_return_url == "https://api.example.com/mobile/v1/payouts/return"
    explicit = Settings(
        public_base_url="https://api.example.com", stripe_connect_return_url="https://app.example.com/done"
    )
    assert explicit.connect_return_url == "https://app.example.com/done"


def _cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str, password: str | None) -> int:
    monkeypatch.setenv("FIELDHAND_DATABASE_URL", settings.database_url)
    if password is None:
        monkeypatch.delenv("FIELDHAND_ADMIN_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("FIELDHAND_ADMIN_PASSWORD", password)
    return in_thread(lambda: main(list(argv)))


async def test_create_admin_is_idempotent_and_never_promotes(
    client: AsyncTestClient,
    factory: Factory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def token(email: str, password: str) -> int:
        response = await client.post("/auth/token", json={"email": email, "password": password})
        return response.status_code

    email = "ops@example.test"
    assert _cli(monkeypatch, settings, "create-admin", "--email", email, password="first-password") == 0
    assert "admin created" in capsys.readouterr().out
    assert await token(email, "first-password") == 200
    first = await client.post("/auth/token", json={"email": email, "password": "first-password"})
    assert first.json()["role"] == "admin"

    assert _cli(monkeypatch, settings, "create-admin", "--email", email, password="other-password") == 0
    assert "nothing changed" in capsys.readouterr().out
    assert await token(email, "first-password") == 200
    assert await token(email, "other-password") == 401

    argv = ("create-admin", "--email", email, "--reset-password")
    assert _cli(monkeypatch, settings, *argv, password="other-password") == 0
    assert await token(email, "other-password") == 200
    assert await token(email, "first-password") == 401

    assert _cli(monkeypatch, settings, *argv, "--password", "flag-password-1", password=None) == 0
    assert await token(email, "flag-password-1") == 200

    agent = await factory.login(Role.AGENT, email="agent-not-admin@example.test")
    refused = _cli(
        monkeypatch, settings, "create-admin", "--email", agent.user.email, password="agent-pass-1"
    )
    assert refused == 1 and "agent account" in capsys.readouterr().err
    assert _cli(monkeypatch, settings, "create-admin", "--email", "x@example.test", password="short") == 1
    assert _cli(monkeypatch, settings, "create-admin", "--email", "y@example.test", password=None) == 2
