"""Two API processes (real uvicorn subprocesses) on one PostgreSQL and Redis: races are
decided by the database, not by a process's memory, and an Idempotency-Key replays the
stored response whichever process the retry reaches. (A change reaching a live page on the
other process: test_live_fanout.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.booking.helpers import (
    add_technician,
    customer_login,
    escalation_body,
    seed_catalog,
    tomorrow,
)
from tests.integration.mobile.helpers import offer_round, open_work_order, ready_technician, seed_skills

# Not marked `clock`: these are races across processes, run at the real time only. The same
# races inside one process (tests/integration/booking/test_booking.py, mobile/test_offers.py)
# run at every chosen instant too, so the hour-dependent booking and offer paths are covered.

SF = async_sessionmaker[AsyncSession]


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
