"""listSlots answers from a per-process cache of each region's technician facts, and still
shows every change in the very next answer: through the API, from another session or
process, and while the cache is warm."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.bookings import region_pool
from marketplace.settings import Settings
from marketplace.technicians.models import Shift
from marketplace.users.models import Role
from tests.factories import Factory, Login
from tests.integration.booking.helpers import customer_login, escalate, seed_catalog, tomorrow

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

M = "/mobile/v1"


@pytest.fixture(autouse=True)
async def catalog(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await seed_catalog(session_factory)


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def qualified_technician(client: AsyncTestClient, factory: Factory) -> Login:
    tech = await factory.login(Role.TECHNICIAN)
    r = await client.patch(
        f"{M}/me", json={"skills": [{"code": "hvac.repair", "level": 2}]}, headers=tech.headers
    )
    assert r.status_code == 200, r.text
    return tech


async def an_order(
    client: AsyncTestClient, factory: Factory, sf: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[str, Login]:
    ticket = uuid.uuid4().hex[:8]
    customer = await customer_login(sf, settings, external_id=f"cust-{ticket}")
    r = await escalate(client, await factory.login(Role.AGENT), ticket, f"cust-{ticket}")
    assert r.status_code == 201, r.text
    return r.json()["work_order"]["id"], customer


async def slots(client: AsyncTestClient, order_id: str, customer: Login) -> dict[str, object]:
    r = await client.get(f"/work-orders/{order_id}/slots?days=2", headers=customer.headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def starts(body: dict[str, object]) -> list[str]:
    return [s["start"] for s in body["slots"]]  # type: ignore[attr-defined,index]


async def set_shift(client: AsyncTestClient, tech: Login, start: datetime, end: datetime) -> None:
    r = await client.put(
        f"{M}/shifts",
        json={
            "from": z(tomorrow(0)),
            "until": z(tomorrow(24)),
            "windows": [{"starts_at": z(start), "ends_at": z(end)}],
        },
        headers=tech.headers,
    )
    assert r.status_code == 200, r.text


@pytest.fixture
async def scene(
    client: AsyncTestClient,
    factory: Factory,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> tuple[Login, str, Login]:
    """A technician qualified for the order (no shifts yet), the order, and its customer."""
    tech = await qualified_technician(client, factory)
    order_id, customer = await an_order(client, factory, session_factory, settings)
    return tech, order_id, customer


async def test_technician_changes_through_the_api_show_in_the_next_slot_list_with_a_warm_cache(
    client: AsyncTestClient, factory: Factory, scene: tuple[Login, str, Login]
) -> None:
    tech, order_id, customer = scene
    admin = await factory.login(Role.ADMIN)

    assert (await slots(client, order_id, customer))["availability"] == "no_availability"
    loads = region_pool.stats.loads
    assert (await slots(client, order_id, customer))["availability"] == "no_availability"
    assert region_pool.stats.loads == loads  # answered from the warm cache

    await set_shift(client, tech, tomorrow(10), tomorrow(12))  # a new shift
    assert starts(await slots(client, order_id, customer)) == [z(tomorrow(10))]

    await set_shift(client, tech, tomorrow(14), tomorrow(16))  # moved
    assert starts(await slots(client, order_id, customer)) == [z(tomorrow(14))]

    r = await client.post(
        f"{M}/time-off",
        json={"starts_at": z(tomorrow(13)), "ends_at": z(tomorrow(15, 30))},
        headers=tech.headers,
    )
    assert r.status_code == 201, r.text
    got = await slots(client, order_id, customer)
    assert got["availability"] == "no_availability", got["slots"]
    r = await client.delete(f"{M}/time-off/{r.json()['id']}", headers=tech.headers)
    assert r.status_code in (200, 204), r.text
    assert starts(await slots(client, order_id, customer)) == [z(tomorrow(14))]

    r = await client.patch(
        f"{M}/me", json={"skills": [{"code": "plumbing", "level": 3}]}, headers=tech.headers
    )
    assert r.status_code == 200, r.text
    assert (await slots(client, order_id, customer))["availability"] == "no_qualified_technician"
    r = await client.patch(
        f"{M}/me", json={"skills": [{"code": "hvac.repair", "level": 2}]}, headers=tech.headers
    )
    assert r.status_code == 200, r.text
    assert starts(await slots(client, order_id, customer)) == [z(tomorrow(14))]

    tech_id = tech.user.technician_id
    r = await client.post(f"/technicians/{tech_id}/suspend", json={"reason": "checks"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert (await slots(client, order_id, customer))["availability"] == "no_qualified_technician"
    r = await client.post(f"/technicians/{tech_id}/reinstate", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert starts(await slots(client, order_id, customer)) == [z(tomorrow(14))]


def _dsn(settings: Settings) -> str:
    return settings.database_url.replace("+asyncpg", "")


async def test_a_change_committed_by_another_process_invalidates_the_warm_cache(
    client: AsyncTestClient, settings: Settings, scene: tuple[Login, str, Login]
) -> None:
    tech, order_id, customer = scene
    await set_shift(client, tech, tomorrow(10), tomorrow(12))
    assert starts(await slots(client, order_id, customer)) == [z(tomorrow(10))]
    loads = region_pool.stats.loads

    other = await asyncpg.connect(_dsn(settings))  # plain SQL from outside this app process
    try:
        await other.execute(
            "INSERT INTO shifts (id, technician_id, starts_at, ends_at, created_at)"
            " VALUES ($1, $2, $3, $4, now())",
            uuid.uuid4(),
            tech.user.technician_id,
            tomorrow(16),
            tomorrow(18),
        )
        assert starts(await slots(client, order_id, customer)) == [z(tomorrow(10)), z(tomorrow(16))]
        assert region_pool.stats.loads == loads + 1

        # a bare bump of the label (no data change) is enough to make every process reload
        await other.execute("UPDATE region_pool_versions SET version = version + 1")
        assert starts(await slots(client, order_id, customer)) == [z(tomorrow(10)), z(tomorrow(16))]
        assert region_pool.stats.loads == loads + 2
        assert starts(await slots(client, order_id, customer)) == [z(tomorrow(10)), z(tomorrow(16))]
        assert region_pool.stats.loads == loads + 2
    finally:
        await other.close()


async def test_pool_facts_move_the_region_version_and_location_pings_do_not(
    factory: Factory, settings: Settings
) -> None:
    tech = await factory.login(Role.TECHNICIAN)
    tech_id = tech.user.technician_id
    conn = await asyncpg.connect(_dsn(settings))

    async def version() -> int:
        found = await conn.fetchval("SELECT version FROM region_pool_versions WHERE region = 'default'")
        assert found is not None
        return int(found)

    async def moves(sql: str, *args: object) -> bool:
        before = await version()
        await conn.execute(sql, *args)
        return await version() != before

    try:
        shift = uuid.uuid4()
        assert await moves(
            "INSERT INTO shifts (id, technician_id, starts_at, ends_at, created_at)"
            " VALUES ($1, $2, now() + interval '1 day', now() + interval '1 day 2 hours', now())",
            shift,
            tech_id,
        )
        assert await moves("UPDATE shifts SET ends_at = ends_at + interval '1 hour' WHERE id = $1", shift)
        assert await moves("DELETE FROM shifts WHERE id = $1", shift)
        assert await moves(
            "INSERT INTO time_off (id, technician_id, starts_at, ends_at, created_at)"
            " VALUES ($1, $2, now(), now() + interval '1 hour', now())",
            uuid.uuid4(),
            tech_id,
        )
        assert await moves("DELETE FROM time_off WHERE technician_id = $1", tech_id)
        await conn.execute("INSERT INTO skills (code, name) VALUES ('solar', 'Solar') ON CONFLICT DO NOTHING")
        assert await moves(
            "INSERT INTO technician_skills (id, technician_id, skill_code, level)"
            " VALUES ($1, $2, 'solar', 1)",
            uuid.uuid4(),
            tech_id,
        )
        assert await moves("UPDATE technician_skills SET level = 3 WHERE technician_id = $1", tech_id)
        assert await moves(
            "INSERT INTO certifications (id, technician_id, code, number, issuer, status, created_at)"
            " VALUES ($1, $2, 'gas_safe', 'N1', 'Registry', 'pending', now())",
            uuid.uuid4(),
            tech_id,
        )
        assert await moves("UPDATE certifications SET status = 'verified' WHERE technician_id = $1", tech_id)
        for column, value in [
            ("status", "'suspended'"),
            ("home_lat", "home_lat + 0.01"),
            ("home_lng", "home_lng + 0.01"),
            ("service_radius_m", "service_radius_m + 1000"),
            ("rating_sum", "rating_sum + 5"),
            ("rating_count", "rating_count + 1"),
        ]:
            assert await moves(f"UPDATE technicians SET {column} = {value} WHERE id = $1", tech_id), column
        # last known position: read fresh per request, so it must not invalidate caches
        assert not await moves(
            "UPDATE technicians SET last_lat = 52.1, last_lng = 4.1, last_located_at = now() WHERE id = $1",
            tech_id,
        )
        assert not await moves("UPDATE technicians SET display_name = 'Renamed' WHERE id = $1", tech_id)
        # moving region moves both regions
        other_before = await conn.fetchval("SELECT version FROM region_pool_versions WHERE region = 'north'")
        assert await moves("UPDATE technicians SET region = 'north' WHERE id = $1", tech_id)
        assert await conn.fetchval("SELECT version FROM region_pool_versions WHERE region = 'north'") not in (
            None,
            other_before,
        )
    finally:
        await conn.close()


async def test_what_a_transaction_reads_of_its_own_writes_is_never_cached(
    session_factory: async_sessionmaker[AsyncSession], factory: Factory
) -> None:
    tech_id = (await factory.login(Role.TECHNICIAN)).user.technician_id
    assert tech_id is not None
    day = (tomorrow(0), tomorrow(24))

    async def shifts_seen(session: AsyncSession) -> list[tuple[int, int]]:
        pool = await region_pool.region_pool(session, "default", start=day[0], end=day[1])
        assert pool is not None
        return [(w.start, w.end) for w in pool.technicians[0].shifts]

    def hours(a: int, b: int) -> tuple[int, int]:
        return int(tomorrow(a).timestamp()), int(tomorrow(b).timestamp())

    async with session_factory() as s:
        assert await shifts_seen(s) == []  # warm
    async with session_factory() as s:
        savepoint = await s.begin_nested()
        s.add(Shift(technician_id=tech_id, starts_at=tomorrow(9), ends_at=tomorrow(11)))
        await s.flush()
        assert await shifts_seen(s) == [hours(9, 11)]  # its own write, seen
        await savepoint.rollback()
        s.add(Shift(technician_id=tech_id, starts_at=tomorrow(14), ends_at=tomorrow(16)))
        await s.flush()
        assert await shifts_seen(s) == [hours(14, 16)]
        await s.commit()
    async with session_factory() as s:
        assert await shifts_seen(s) == [hours(14, 16)]
