"""Bad input is a 4xx problem; shift overlap is refused even under a race; lists paginate."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from marketplace.clock import utcnow
from marketplace.technicians.models import Shift
from tests.factories import Factory
from tests.integration.mobile.helpers import (
    AMSTERDAM,
    assert_problem,
    iso,
    offer_round,
    open_work_order,
    ready_technician,
    seed_skills,
)

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

M = "/mobile/v1"
DAY = (utcnow() + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)


def shifts_body(*windows: tuple[int, int], start_day: int = 0) -> dict[str, object]:
    base = DAY + timedelta(days=start_day)
    return {
        "from": iso(base),
        "until": iso(base + timedelta(days=1)),
        "windows": [
            {"starts_at": iso(base + timedelta(hours=a)), "ends_at": iso(base + timedelta(hours=b))}
            for a, b in windows
        ],
    }


async def test_bad_input_is_a_problem(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    tech = await ready_technician(factory)
    h = tech.headers
    assert_problem(
        await client.put(f"{M}/shifts", json=shifts_body((11, 9)), headers=h), 422, "invalid-window"
    )
    assert_problem(
        await client.put(f"{M}/shifts", json=shifts_body((9, 12), (11, 13)), headers=h), 422, "shift-overlap"
    )
    ok = await client.put(f"{M}/shifts", json=shifts_body((9, 11), (11, 13)), headers=h)  # touching is fine
    assert ok.status_code == 200, ok.text
    same = await client.put(
        f"{M}/shifts", json=shifts_body((9, 11), (11, 13)), headers=h
    )  # a PUT: idempotent
    assert [(s["starts_at"], s["ends_at"]) for s in same.json()] == [
        (s["starts_at"], s["ends_at"]) for s in ok.json()
    ]
    naive = {"from": "2030-01-01T00:00:00", "until": "2030-01-02T00:00:00", "windows": []}
    assert_problem(await client.put(f"{M}/shifts", json=naive, headers=h), 422, "invalid-input")

    lat_200 = await client.post(
        f"{M}/locations", json={"pings": [{"lat": 200, "lng": 4.9, "recorded_at": iso(utcnow())}]}, headers=h
    )
    body = assert_problem(lat_200, 422, "validation-failed")
    assert body["errors"][0]["field"] == "pings[0].lat"
    assert_problem(
        await client.post(f"{M}/locations", json={"pings": []}, headers=h), 422, "validation-failed"
    )

    unknown = await client.post(
        f"{M}/signup",
        json={
            "email": "x@example.com",
            "password": "long-enough-pw",
            "display_name": "X",
            "home": {"lat": 52.0, "lng": 4.0},
            "skills": [{"code": "underwater.welding", "level": 3}],
        },
    )
    assert assert_problem(unknown, 422, "unknown-skill")["unknown_skills"] == ["underwater.welding"]
    patch = await client.patch(f"{M}/me", json={"skills": [{"code": "nope.nope", "level": 1}]}, headers=h)
    assert_problem(patch, 422, "unknown-skill")
    extra = await client.patch(f"{M}/me", json={"status": "active"}, headers=h)  # not a client field
    assert extra.status_code in (400, 422) and extra.json()["type"].endswith("/validation-failed")
    bad_tz = await client.patch(f"{M}/me", json={"timezone": "Mars/Olympus"}, headers=h)
    assert_problem(bad_tz, 422, "invalid-input")
    bad_template = await client.put(
        f"{M}/shift-templates",
        json={"templates": [{"weekday": 0, "start": "12:00", "end": "09:00"}]},
        headers=h,
    )
    assert_problem(bad_template, 422, "invalid-window")
    bad_step = await client.post(
        f"{M}/visits/{tech.technician_id}/status", json={"status": "teleported"}, headers=h
    )
    assert bad_step.status_code in (400, 422)
    assert_problem(await client.get(f"{M}/offers", params={"cursor": "!!"}, headers=h), 422, "invalid-input")


async def test_concurrent_overlapping_shift_writes_one_wins(
    client: AsyncTestClient, factory: Factory
) -> None:
    tech = await ready_technician(factory)
    # Two different ranges (neither deletes the other's window) whose windows overlap across midnight.
    late = shifts_body((22, 25))  # 22:00 .. 01:00 next day, starts in day 0
    early = shifts_body((0, 2), start_day=1)  # 00:00 .. 02:00 on day 1
    results = await asyncio.gather(
        *[client.put(f"{M}/shifts", json=body, headers=tech.headers) for body in (late, early, late, early)]
    )
    codes = sorted(r.status_code for r in results)
    assert 200 in codes and 422 in codes, codes
    for r in results:
        if r.status_code == 422:
            assert r.json()["type"].endswith("/shift-overlap")
    listed = (await client.get(f"{M}/shifts", params={"from": iso(DAY)}, headers=tech.headers)).json()[
        "items"
    ]
    assert len(listed) == 1


async def test_database_refuses_overlapping_shifts(factory: Factory) -> None:
    import sqlalchemy as sa

    tech = await ready_technician(factory)
    async with factory.session_factory() as s:
        s.add(Shift(technician_id=tech.technician_id, starts_at=DAY, ends_at=DAY + timedelta(hours=2)))
        s.add(
            Shift(
                technician_id=tech.technician_id,
                starts_at=DAY + timedelta(hours=1),
                ends_at=DAY + timedelta(hours=3),
            )
        )
        try:
            await s.flush()
            raise AssertionError("overlapping shifts were stored")
        except sa.exc.IntegrityError:
            await s.rollback()


async def test_templates_expand_and_replays_of_pings_are_harmless(
    client: AsyncTestClient, factory: Factory
) -> None:
    tech = await ready_technician(factory)
    templates = {"templates": [{"weekday": d, "start": "08:00", "end": "10:00"} for d in range(7)]}
    first = await client.put(f"{M}/shift-templates", json=templates, headers=tech.headers)
    assert first.status_code == 200 and len(first.json()) == 7
    again = await client.put(f"{M}/shift-templates", json=templates, headers=tech.headers)
    assert again.status_code == 200
    async with factory.session_factory() as s:
        generated = (
            (
                await s.execute(
                    select(Shift).where(
                        Shift.technician_id == tech.technician_id, col(Shift.template_id).is_not(None)
                    )
                )  # type: ignore[union-attr]
            )
            .scalars()
            .all()
        )
    assert 13 <= len(generated) <= 14  # one a day for 14 days (today's may have passed)

    now = utcnow().replace(microsecond=0)
    batch = {
        "pings": [
            {"lat": 52.0 + i / 100, "lng": 4.9, "recorded_at": iso(now - timedelta(minutes=i))}
            for i in range(5)
        ]
    }
    r1 = (await client.post(f"{M}/locations", json=batch, headers=tech.headers)).json()
    r2 = (await client.post(f"{M}/locations", json=batch, headers=tech.headers)).json()
    assert r1["accepted"] == 5 and r2["accepted"] == 0 and r2["duplicates"] == 5
    assert r1["latest"] == r2["latest"] and r1["latest"]["lat"] == 52.0
    older = {"pings": [{"lat": 40.0, "lng": 4.0, "recorded_at": iso(now - timedelta(hours=1))}]}
    r3 = (await client.post(f"{M}/locations", json=older, headers=tech.headers)).json()
    assert r3["accepted"] == 1 and r3["latest"]["lat"] == 52.0  # an older point does not move you back


async def test_lists_are_cursor_paginated(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    tech = await ready_technician(factory)
    for i in range(5):
        order_id = await open_work_order(session_factory, lat=AMSTERDAM[0] + i * 0.001, summary=f"job {i}")
        await offer_round(session_factory, order_id)
        await client.post(
            f"{M}/time-off",
            json={
                "starts_at": iso(DAY + timedelta(days=10 + i)),
                "ends_at": iso(DAY + timedelta(days=10 + i, hours=3)),
            },
            headers=tech.headers,
        )
    for path in ("/offers", "/time-off"):
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(M + path, params=params, headers=tech.headers)).json()
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 5 and len(set(seen)) == 5 and pages == 3, path
    offers = (await client.get(f"{M}/offers", params={"limit": 5}, headers=tech.headers)).json()["items"]
    assert [o["job"]["summary"] for o in offers] == [f"job {i}" for i in reversed(range(5))]  # newest first
    assert_problem(
        await client.get(f"{M}/offers", params={"limit": 0}, headers=tech.headers), 422, "validation-failed"
    )
