"""API load benchmarks on PostgreSQL + Redis, each next to a bare Litestar JSON endpoint.

    python -m bench.api_load slots   # listSlots latency under concurrency (p50/p99)
    python -m bench.api_load book    # bookAppointment throughput with Idempotency-Key
    python -m bench.api_load all

Each run makes a fresh database (250 technicians, 2,000 open orders), serves the API with
`--processes` uvicorn workers (multiprocess metrics on), serves `bench.bare_app` the same
way, drives both with an asyncio httpx client, writes bench/results/api_<name>.json and
prints a Markdown row for bench/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from marketplace import migrations
from marketplace.auth import create_user, issue_token
from marketplace.customers.models import Customer
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.demo import CATEGORIES, CITY_CENTRE, seed_demo_city
from marketplace.settings import Settings
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("FIELDHAND_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("FIELDHAND_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SECRET = "bench-secret-" + "x" * 40


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000, 2) if ordered else 0.0


async def create_database() -> str:
    name = f"fieldhand_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG.replace("+asyncpg", "") + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG}/{name}"


async def drop_database(url: str) -> None:
    conn = await asyncpg.connect(PG.replace("+asyncpg", "") + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed(settings: Settings, *, technicians: int, orders: int, customers: int) -> list[tuple[str, str]]:
    """The demo region with `technicians`, plus `orders` triaged orders; returns (order id, token)."""
    now = datetime.now(UTC)
    engine = make_engine(settings)
    rng = random.Random(1)
    visit = [
        (code, skills) for code, _, skills, certs, _, remote, _, _ in CATEGORIES if not remote and not certs
    ]
    out: list[tuple[str, str]] = []
    try:
        factory = make_session_factory(engine)
        async with unit_of_work(factory) as s:
            await seed_demo_city(s, technicians=technicians, customers=10, now=now)
        async with unit_of_work(factory) as s:
            tokens = []
            ids = []
            for i in range(customers):
                c = Customer(name=f"Bench {i}", tier="standard", timezone="Europe/Amsterdam")
                s.add(c)
                await s.flush()
                user = await create_user(
                    s,
                    email=f"bench-{i}@example.test",
                    password="bench-pw-1",
                    role=Role.CUSTOMER,
                    display_name=c.name,
                    customer_id=c.id,
                )
                ids.append(c.id)
                tokens.append(issue_token(settings, user, now=now))
            for n in range(orders):
                code, skills = visit[n % len(visit)]
                k = n % customers
                o = WorkOrder(
                    source="api",
                    customer_id=ids[k],
                    region="amsterdam",
                    lat=CITY_CENTRE[0] + rng.uniform(-6, 6) / 111,
                    lng=CITY_CENTRE[1] + rng.uniform(-6, 6) / 68,
                    address="Bench street 1, Amsterdam",
                    summary=f"bench order {n}",
                    context={},
                    category_code=code,
                    required_skills=[{"code": c2, "min_level": lv} for c2, lv in skills],
                    required_certifications=[],
                    duration_s=3600,
                    priority=3,
                    status="triaged",
                    price_minor=10_000,
                    fee_minor=2_000,
                    sla_due_at=now + timedelta(days=3),
                )
                s.add(o)
                await s.flush()
                out.append((str(o.id), tokens[k]))
    finally:
        await engine.dispose()
    return out


def serve(app: str, port: int, processes: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(processes),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_up(base: str, within_s: float = 120) -> None:
    deadline = time.monotonic() + within_s
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{base} did not start")


async def drive(
    base: str, requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]], concurrency: int
) -> dict[str, Any]:
    """Send every request with `concurrency` in flight; latency per request and the wall rate."""
    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue = list(reversed(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def one() -> None:
            while queue:
                method, path, body, headers = queue.pop()
                t0 = time.perf_counter()
                r = await http.request(method, path, json=body, headers=headers)
                latencies.append(time.perf_counter() - t0)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {
        "n": len(latencies),
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "per_s": round(len(latencies) / wall, 1),
        "codes": {str(k): v for k, v in sorted(codes.items())},
    }


async def offered_windows(base: str, orders: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def one(i: int, order: str, token: str) -> None:
            async with sem:
                r = await http.get(
                    f"/work-orders/{order}/slots?days=3", headers={"Authorization": f"Bearer {token}"}
                )
            slots = r.json().get("slots") or []
            if slots:
                pick = slots[i % len(slots)]
                found[order] = {"window_start": pick["start"], "window_end": pick["end"]}

        await asyncio.gather(*(one(i, o, t) for i, (o, t) in enumerate(orders)))
    return found


async def staff_tokens(settings: Settings) -> tuple[str, dict[str, str]]:
    """An agent's token, and a token per technician id."""
    from sqlmodel import col, select

    from marketplace.users.models import User

    now = datetime.now(UTC)
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_session_factory(engine)) as s:
            agent = await create_user(
                s,
                email="bench-agent@example.test",
                password="bench-pw-1",
                role=Role.AGENT,
                display_name="Agent",
            )
            techs = (
                (await s.execute(select(User).where(col(User.technician_id).is_not(None)))).scalars().all()
            )
            return issue_token(settings, agent, now=now), {
                str(u.technician_id): issue_token(settings, u, now=now) for u in techs
            }
    finally:
        await engine.dispose()


async def escalation_to_offer(api: str, url: str, settings: Settings, count: int) -> dict[str, Any]:
    """Escalate urgent tickets one at a time; time until the first offer is on a technician's listOffers."""
    agent, techs = await staff_tokens(settings)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    rng = random.Random(2)
    latencies: list[float] = []
    missed = 0
    try:
        async with httpx.AsyncClient(base_url=api, timeout=60) as http:
            for i in range(count):
                body = {
                    "helpdesk": "benchdesk",
                    "ticket_id": f"BENCH-{i}",
                    "customer": {"external_id": f"bench-cust-{i % 50}", "name": "Bench"},
                    "location": {
                        "lat": round(CITY_CENTRE[0] + rng.uniform(-0.04, 0.04), 5),
                        "lng": round(CITY_CENTRE[1] + rng.uniform(-0.06, 0.06), 5),
                        "address": "Amsterdam",
                    },
                    "summary": "Bench ticket: no heat",
                    "category": "no_heat",
                    "priority": 1,
                    "region": "amsterdam",
                }
                t0 = time.perf_counter()
                r = await http.post("/escalations", json=body, headers={"Authorization": f"Bearer {agent}"})
                order = r.json()["work_order"]["id"]
                seen = False
                while time.perf_counter() - t0 < 30 and not seen:
                    tech = await conn.fetchval(
                        "SELECT technician_id FROM offers WHERE work_order_id = $1 LIMIT 1", uuid.UUID(order)
                    )
                    if tech is not None and str(tech) in techs:
                        listed = await http.get(
                            "/mobile/v1/offers", headers={"Authorization": f"Bearer {techs[str(tech)]}"}
                        )
                        seen = order in listed.text
                    if not seen:
                        await asyncio.sleep(0.02)
                if seen:
                    latencies.append(time.perf_counter() - t0)
                else:
                    missed += 1
    finally:
        await conn.close()
    return {
        "n": len(latencies),
        "missed_30s": missed,
        "p50_ms": pct(latencies, 0.5),
        "p95_ms": pct(latencies, 0.95),
        "max_ms": pct(latencies, 1.0),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = await create_database()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        settings = Settings(database_url=url, redis_url=REDIS, jwt_secret=SECRET, environment="bench")
        t0 = time.perf_counter()
        orders = await seed(settings, technicians=args.technicians, orders=args.orders, customers=40)
        seeded_s = time.perf_counter() - t0
        metrics_dir = tempfile.mkdtemp(prefix="fieldhand-bench-metrics-")
        env = {
            "FIELDHAND_DATABASE_URL": url,
            "FIELDHAND_REDIS_URL": REDIS,
            "FIELDHAND_JWT_SECRET": SECRET,
            "FIELDHAND_ENVIRONMENT": "bench",
            "FIELDHAND_QUEUE_NAME": f"fieldhand:bench:{uuid.uuid4().hex[:6]}",
            "FIELDHAND_DATABASE_POOL_SIZE": str(args.pool),
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        }
        procs.append(serve("api.app:create_app_from_env", args.port, args.processes, env))
        procs.append(serve("bench.bare_app:create_bare_app", args.port + 1, args.processes, {}))
        api, bare = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
        await wait_up(api)
        await wait_up(bare)
        result: dict[str, Any] = {
            "processes": args.processes,
            "concurrency": args.concurrency,
            "technicians": args.technicians,
            "open_orders": args.orders,
            "seed_s": round(seeded_s, 1),
            "load_before": os.getloadavg(),
        }
        warm = [
            ("GET", f"/work-orders/{o}/slots", None, {"Authorization": f"Bearer {t}"}) for o, t in orders[:20]
        ]
        await drive(api, warm, 4)
        if args.which in ("slots", "all"):
            picks = [orders[i % len(orders)] for i in range(args.requests)]
            reqs = [
                ("GET", f"/work-orders/{o}/slots?days=2", None, {"Authorization": f"Bearer {t}"})
                for o, t in picks
            ]
            result["listSlots"] = await drive(api, reqs, args.concurrency)
            result["bare_for_slots"] = await drive(
                bare, [("GET", "/bare", None, {})] * args.requests, args.concurrency
            )
            result["listSlots"]["p99_ratio_to_bare"] = round(
                result["listSlots"]["p99_ms"] / max(result["bare_for_slots"]["p99_ms"], 0.01), 1
            )
        if args.which in ("book", "all"):
            # each customer books a window their order's slot list offered (fetched untimed first)
            chosen = orders[args.requests % len(orders) :][: args.bookings]
            windows = await offered_windows(api, chosen)
            reqs = [
                (
                    "POST",
                    f"/work-orders/{o}/appointment",
                    windows[o],
                    {"Authorization": f"Bearer {t}", "Idempotency-Key": f"bench-{i}"},
                )
                for i, (o, t) in enumerate(chosen)
                if o in windows
            ]
            result["bookAppointment"] = await drive(api, reqs, args.concurrency)
            result["bare_for_book"] = await drive(
                bare, [("POST", "/bare", {"x": 1}, {})] * len(reqs), args.concurrency
            )
            result["bookAppointment"]["rate_ratio_to_bare"] = round(
                result["bookAppointment"]["per_s"] / max(result["bare_for_book"]["per_s"], 0.01), 3
            )
        if args.which in ("offers", "all"):
            procs.append(
                subprocess.Popen(  # noqa: ASYNC220
                    [sys.executable, "-m", "arq", "workers.settings.WorkerSettings"],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            result["escalation_to_offer"] = await escalation_to_offer(api, url, settings, args.escalations)
            result["bare_for_offers"] = await drive(bare, [("GET", "/bare", None, {})] * 200, 1)
            result["escalation_to_offer"]["p95_ratio_to_bare"] = round(
                result["escalation_to_offer"]["p95_ms"] / max(result["bare_for_offers"]["p99_ms"], 0.01), 1
            )
        result["load_after"] = os.getloadavg()
        return result
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load")
    parser.add_argument("which", choices=["slots", "book", "offers", "all"])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=250)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--port", type=int, default=18900)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = Path(args.out or ROOT / "bench" / "results" / f"api_{args.which}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
