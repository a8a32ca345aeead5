"""Two API processes (real uvicorn subprocesses) on one PostgreSQL and Redis: races are
decided by the database, not by a process's memory, an Idempotency-Key replays the stored
response whichever process the retry reaches, and a change made through one process reaches
a live page (server-sent events) open on the other."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.conftest import REDIS_URL, ROOT, _free_port
from tests.factories import Factory
from tests.integration.booking.helpers import (
    add_technician,
    customer_login,
    escalation_body,
    seed_catalog,
    tomorrow,
)
from tests.integration.mobile.helpers import offer_round, open_work_order, ready_technician, seed_skills
from tests.travel import child_env

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

SF = async_sessionmaker[AsyncSession]
LIVE_FALLBACK_S = 120


def start_api(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **child_env(),
        "FIELDHAND_DATABASE_URL": settings.database_url,
        "FIELDHAND_REDIS_URL": REDIS_URL,
        "FIELDHAND_QUEUE_NAME": settings.queue_name,
        "FIELDHAND_JWT_SECRET": settings.jwt_secret,
        "FIELDHAND_ENVIRONMENT": "test",
        "FIELDHAND_IDEMPOTENCY_LOCK_S": str(settings.idempotency_lock_s),
        # live pages re-read on their own only every two minutes: a change that reaches one
        # sooner came over Redis pub/sub
        "FIELDHAND_LIVE_FALLBACK_S": str(LIVE_FALLBACK_S),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.travel", "uvicorn", "api.app:create_app_from_env", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def two_apis(settings: Settings) -> Iterator[tuple[str, str]]:
    ports = [_free_port(), _free_port()]
    procs = [start_api(settings, port) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for proc, base in zip(procs, bases, strict=True):
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"API process did not start: {err[-2000:]}")
                time.sleep(0.1)
        yield bases[0], bases[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def test_fifty_accepts_across_two_processes_make_one_assignment(
    two_apis: tuple[str, str], factory: Factory, session_factory: SF
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    techs = [await ready_technician(factory, lat=52.37 + i * 0.001, lng=4.89) for i in range(50)]
    order_id = await open_work_order(session_factory)
    result = await offer_round(session_factory, order_id, max_offers=50)
    assert len(result.offers) == 50
    offer_of = {o.technician_id: o.id for o in result.offers}
    async with httpx.AsyncClient(timeout=60) as http:
        responses = await asyncio.gather(
            *[
                http.post(
                    f"{two_apis[i % 2]}/mobile/v1/offers/{offer_of[t.technician_id]}/accept",
                    headers=t.headers,
                )
                for i, t in enumerate(techs)
            ]
        )
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1, codes
    assert codes.count(409) == 49, codes
    async with session_factory() as s:
        accepted = (
            await s.execute(
                sa.text("SELECT count(*) FROM offers WHERE work_order_id = :o AND status = 'accepted'"),
                {"o": order_id},
            )
        ).scalar_one()
    assert accepted == 1


async def test_fifty_bookings_of_the_last_place_across_two_processes_one_wins(
    two_apis: tuple[str, str], factory: Factory, session_factory: SF, settings: Settings
) -> None:
    await seed_catalog(session_factory)
    await add_technician(session_factory, shifts=[(tomorrow(10), tomorrow(11, 30))])
    agent = await factory.login(Role.AGENT)
    orders: list[tuple[str, Any]] = []
    async with httpx.AsyncClient(timeout=60) as http:
        for i in range(50):
            customer = await customer_login(session_factory, settings, external_id=f"mp-{i}")
            r = await http.post(
                f"{two_apis[i % 2]}/escalations",
                json=escalation_body(f"MP-{i}", f"mp-{i}"),
                headers=agent.headers,
            )
            assert r.status_code == 201, r.text
            orders.append((r.json()["work_order"]["id"], customer))
        window = {"window_start": tomorrow(10).isoformat(), "window_end": tomorrow(12).isoformat()}
        responses = await asyncio.gather(
            *[
                http.post(
                    f"{two_apis[i % 2]}/work-orders/{order_id}/appointment",
                    json=window,
                    headers={**customer.headers, "Idempotency-Key": f"mp-book-{i}"},
                )
                for i, (order_id, customer) in enumerate(orders)
            ]
        )
        responses = list(responses)
        # A 503 (pool wait timed out while the bookings queue on one technician) tells the
        # client to retry: it retries with the same key, once the stampede is over.
        for i, r in enumerate(responses):
            if r.status_code == 503:
                assert "Retry-After" in r.headers
                order_id, customer = orders[i]
                responses[i] = await http.post(
                    f"{two_apis[i % 2]}/work-orders/{order_id}/appointment",
                    json=window,
                    headers={**customer.headers, "Idempotency-Key": f"mp-book-{i}"},
                )
        codes = [r.status_code for r in responses]
        assert codes.count(201) == 1, [r.text for r in responses if r.status_code not in (201, 409)]
        assert codes.count(409) == 49, codes
        # the winner's retry reaches the other process: the stored response, not a second booking
        won = codes.index(201)
        order_id, customer = orders[won]
        replay = await http.post(
            f"{two_apis[(won + 1) % 2]}/work-orders/{order_id}/appointment",
            json=window,
            headers={**customer.headers, "Idempotency-Key": f"mp-book-{won}"},
        )
        assert replay.status_code == 201, replay.text
        assert replay.json() == responses[won].json()
    async with session_factory() as s:
        live = (
            await s.execute(sa.text("SELECT count(*) FROM appointments WHERE status = 'booked'"))
        ).scalar_one()
    assert live == 1


async def next_event(lines: AsyncIterator[str], name: str) -> dict[str, Any]:
    """The data of the stream's next `name` event."""
    event = None
    while True:
        line = await anext(lines)
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:") and event == name:
            data: dict[str, Any] = json.loads(line.partition(":")[2])
            return data
        elif not line:
            event = None


async def test_a_change_through_one_process_reaches_a_live_page_on_the_other(
    two_apis: tuple[str, str], factory: Factory, session_factory: SF, settings: Settings
) -> None:
    one, other = two_apis
    await seed_skills(session_factory, "hvac.repair")
    tech = await ready_technician(factory)
    customer = await customer_login(session_factory, settings, external_id=f"live-{uuid.uuid4().hex[:6]}")
    order_id = await open_work_order(session_factory)
    async with session_factory() as s:  # the customer's own order
        for table, key in (("work_orders", "id"), ("appointments", "work_order_id")):
            await s.execute(
                sa.text(f"UPDATE {table} SET customer_id = :c WHERE {key} = :o"),
                {"c": customer.user.customer_id, "o": order_id},
            )
        await s.commit()
    (offer,) = (await offer_round(session_factory, order_id, max_offers=1)).offers
    async with (
        httpx.AsyncClient(timeout=30, cookies={"fh_app": customer.token}) as http,
        http.stream("GET", f"{other}/app/orders/{order_id}/live") as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            before = await next_event(lines, "track")
        assert before["status"] == "offered" and before["technician"] is None
        accepted = await http.post(f"{one}/mobile/v1/offers/{offer.id}/accept", headers=tech.headers)
        assert accepted.status_code == 200, accepted.text
        # well inside the page's own fallback re-read: only the live channel can bring it
        async with asyncio.timeout(10):
            after = await next_event(lines, "track")
    assert after["status"] == "assigned" and after["technician"] == "Test Tech"
