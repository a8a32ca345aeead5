"""`python -m demo run --city helsinki`: the demo city on real streets, nothing downloaded.

Served as a person starts it, on a database of its own; the dispatcher signs in with a login
the banner prints and runs dispatch for the city through the API. The run must have planned
on the bundled Helsinki street network, not fallen back to the straight line (every seeded
home and job has to lie within snapping distance of a street for that).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo.city import HELSINKI
from tests.conftest import PG_SERVER, ROOT, _admin, in_thread
from tests.integration.test_cli import LOGIN_LINE, _free_port
from tests.serving import await_health


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The Helsinki demo served on a fresh database: (base URL, its output so far)."""
    name = f"fieldhand_demo_{uuid.uuid4().hex[:10]}"
    in_thread(lambda: asyncio.run(_admin(f'CREATE DATABASE "{name}"')))
    env = {
        **os.environ,
        "FIELDHAND_DATABASE_URL": f"{PG_SERVER}/{name}",
        "FIELDHAND_ENVIRONMENT": "development",
        "FIELDHAND_RUN_PERIODIC_JOBS": "false",
        "FIELDHAND_LOG_LEVEL": "WARNING",
    }
    for chosen_elsewhere in ("FIELDHAND_REDIS_URL", "FIELDHAND_TRAVEL_MODEL", "FIELDHAND_PUBLIC_BASE_URL"):
        env.pop(chosen_elsewhere, None)
    port = _free_port()
    output: Path = tmp_path_factory.mktemp("helsinki") / "run.out"
    with output.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "demo", "run", "--city", "helsinki", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await_health(base, proc, within_s=120, describe=output.read_text)
        yield base, output.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        in_thread(lambda: asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


def test_the_helsinki_demo_plans_on_its_streets(helsinki: tuple[str, str]) -> None:
    base, banner = helsinki
    assert "Seeded the demo city (Helsinki)." in banner, banner
    assert "Day plans use the street network of helsinki." in banner, banner
    logins = {role: (email, password) for role, email, password in map(_groups, banner.splitlines()) if role}
    email, password = logins["dispatcher"]
    with httpx.Client(base_url=base, timeout=120) as http:
        token = http.post("/auth/token", json={"email": email, "password": password})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        run = http.post(f"/dispatch/regions/{HELSINKI.region}/runs", headers=headers)
    assert run.status_code == 200, run.text
    summary = run.json()
    assert summary["travel"] == "roads:helsinki", summary  # no fallback to the straight line
    assert summary["open_orders"] >= 1  # the demo customer's booked visit, tomorrow at 10:00
    assert summary["planned_travel_m"] > 0 and summary["unplaced"] == 0, summary


def _groups(line: str) -> tuple[str | None, str, str]:
    found = LOGIN_LINE.match(line)
    return found.groups() if found else (None, "", "")  # type: ignore[return-value]
