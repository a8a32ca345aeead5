"""What one authenticated request costs, end to end through the app, on real PostgreSQL.

Creates a scratch database, migrates it, signs in one agent and times N sequential
`GET /auth/me` calls in-process (no network), then drops the database. Run it on two
checkouts to compare; on a checkout that has `marketplace.sessions` it also times the
per-request session check on its own.

    .tools/bin/uv run --frozen python scripts/auth_check_cost.py --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import asyncpg
from litestar.testing import AsyncTestClient

from api.app import create_app
from marketplace import migrations
from marketplace.auth import create_user, principal_from_token
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.settings import Settings
from marketplace.users.models import Role


def _summary(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[int(len(ms) * 0.99) - 1]
    return (
        f"{label:<34} n={len(ms):<6} mean={statistics.fmean(ms):.3f} ms  "
        f"p50={statistics.median(ms):.3f} ms  p99={p99:.3f} ms"
    )


async def _measure(url: str, n: int) -> None:
    settings = Settings(
        environment="test", database_url=url, run_periodic_jobs=False, jwt_secret="bench-" + "x" * 40
    )
    engine = make_engine(settings)
    async with unit_of_work(make_session_factory(engine)) as s:
        await create_user(
            s, email="bench@example.test", password="pw-bench-1", role=Role.AGENT, display_name="B"
        )
    app = create_app(settings)
    async with AsyncTestClient(app) as client:
        token = (
            await client.post("/auth/token", json={"email": "bench@example.test", "password": "pw-bench-1"})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(200):  # warm up the pool and statement caches
            assert (await client.get("/auth/me", headers=headers)).status_code == 200
        timings: list[float] = []
        for _ in range(n):
            t0 = time.perf_counter()
            response = await client.get("/auth/me", headers=headers)
            timings.append(time.perf_counter() - t0)
            assert response.status_code == 200
        anonymous: list[float] = []
        for _ in range(n):
            t0 = time.perf_counter()
            await client.get("/healthz")
            anonymous.append(time.perf_counter() - t0)
    print(_summary("GET /auth/me (bearer token)", timings))
    print(_summary("GET /healthz (no token)", anonymous))
    try:
        from marketplace.sessions import check_session  # type: ignore[attr-defined]
    except ImportError:
        print("no marketplace.sessions on this checkout: tokens are not checked against the database")
    else:
        principal = principal_from_token(settings, token)
        checks: list[float] = []
        for _ in range(n):
            t0 = time.perf_counter()
            await check_session(engine, principal)
            checks.append(time.perf_counter() - t0)
        print(_summary("session check alone", checks))
    await engine.dispose()


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server.replace("+asyncpg", "") + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    name = f"fieldhand_authcost_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(args.pg, f'CREATE DATABASE "{name}"'))
    url = f"{args.pg}/{name}"
    try:
        migrations.upgrade(url)
        asyncio.run(_measure(url, args.requests))
    finally:
        asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
