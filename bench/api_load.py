"""API load benchmarks on PostgreSQL + Redis, each next to a bare Litestar JSON endpoint.

    python -m bench.api_load slots   # listSlots latency under concurrency (p50/p99)
    python -m bench.api_load book    # bookAppointment throughput with Idempotency-Key
    python -m bench.api_load offers  # escalation -> offer on the technician's listOffers (arq worker)
    python -m bench.api_load all     # the three above
    python -m bench.api_load soak --minutes 30 --rate 20   # steady mix: errors, latency drift, RSS

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
import sqlalchemy as sa

from demo.city import CATEGORIES, CITY_CENTRE, seed_demo_city
from marketplace import migrations
from marketplace.auth import create_user, issue_token
from marketplace.customers.models import Customer
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.settings import Settings
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("FIELDHAND_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("FIELDHAND_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SECRET = "bench-secret-" + "x" * 40
BENCH_SHIFT_H = 4  # every technician's shift from an hour before the seed until this many hours after


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
            # the demo's shifts are daytime ones; every technician works through the bench's
            # own hours instead, so an urgent escalation at 21:00 finds people on shift too
            on_shift = {"start": now - timedelta(hours=1), "end": now + timedelta(hours=BENCH_SHIFT_H)}
            overlapping = "DELETE FROM shifts WHERE ends_at > :start AND starts_at < :end"
            await s.execute(sa.text(overlapping), on_shift)
            await s.execute(
                sa.text(
                    "INSERT INTO shifts (id, technician_id, starts_at, ends_at, created_at)"
                    " SELECT gen_random_uuid(), id, :start, :end, :start FROM technicians"
                ),
                on_shift,
            )
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
        "p95_ms": pct(latencies, 0.95),
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
    """An agent's token, and a token per technician id.

    The demo city gives only its first technician a login; every technician gets one here
    (one password hash shared by all, to keep the set-up fast), so whoever an offer goes to
    can read it on their phone's listOffers.
    """
    from sqlmodel import col, select

    from marketplace.auth import hash_password
    from marketplace.technicians.models import Technician
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
            has_login = select(User.technician_id).where(col(User.technician_id).is_not(None))
            missing = (
                await s.execute(select(Technician).where(col(Technician.id).not_in(has_login)))
            ).scalars()
            password_hash = hash_password("bench-pw-1")
            for tech in missing:
                s.add(
                    User(
                        email=f"bench-tech-{tech.id.hex[:12]}@example.test",
                        password_hash=password_hash,
                        role=Role.TECHNICIAN.value,
                        display_name=tech.display_name,
                        technician_id=tech.id,
                    )
                )
            await s.flush()
            techs = (
                (await s.execute(select(User).where(col(User.technician_id).is_not(None)))).scalars().all()
            )
            return issue_token(settings, agent, now=now), {
                str(u.technician_id): issue_token(settings, u, now=now) for u in techs
            }
    finally:
        await engine.dispose()


def escalation_body(i: int, rng: random.Random, prefix: str = "BENCH") -> dict[str, Any]:
    return {
        "helpdesk": "benchdesk",
        "ticket_id": f"{prefix}-{i}",
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


async def escalation_to_offer(
    api: str, url: str, settings: Settings, count: int, *, offer_wait_s: float = 15, listed_wait_s: float = 30
) -> dict[str, Any]:
    """Escalate urgent tickets one at a time; time from the POST until the offer shows on the
    offered technician's own listOffers (the harness asks the database only *who* was offered,
    then polls that technician's phone API every 20 ms).

    An escalation nobody qualified for gets no offer at all (the order waits for a callback):
    counted as `no_offer`, apart from offers that existed but never showed (`not_listed`).
    """
    agent, techs = await staff_tokens(settings)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    rng = random.Random(2)
    latencies: list[float] = []
    offer_written: list[float] = []
    no_offer = not_listed = 0
    try:
        async with httpx.AsyncClient(base_url=api, timeout=60) as http:
            for i in range(count):
                t0 = time.perf_counter()
                r = await http.post(
                    "/escalations", json=escalation_body(i, rng), headers={"Authorization": f"Bearer {agent}"}
                )
                order = r.json()["work_order"]["id"]
                tech = None
                while tech is None and time.perf_counter() - t0 < offer_wait_s:
                    tech = await conn.fetchval(
                        "SELECT technician_id FROM offers WHERE work_order_id = $1"
                        " ORDER BY created_at LIMIT 1",
                        uuid.UUID(order),
                    )
                    if tech is None:
                        await asyncio.sleep(0.02)
                if tech is None:
                    no_offer += 1
                    continue
                offer_written.append(time.perf_counter() - t0)
                seen = False
                headers = {"Authorization": f"Bearer {techs[str(tech)]}"}
                while not seen and time.perf_counter() - t0 < listed_wait_s:
                    listed = await http.get("/mobile/v1/offers?status=pending", headers=headers)
                    seen = any(o["job"]["work_order_id"] == order for o in listed.json()["items"])
                    if not seen:
                        await asyncio.sleep(0.02)
                if seen:
                    latencies.append(time.perf_counter() - t0)
                else:
                    not_listed += 1
    finally:
        await conn.close()
    return {
        "n": len(latencies),
        "escalations": count,
        "no_offer": no_offer,
        "not_listed": not_listed,
        "p50_ms": pct(latencies, 0.5),
        "p95_ms": pct(latencies, 0.95),
        "max_ms": pct(latencies, 1.0),
        "offer_row_p50_ms": pct(offer_written, 0.5),
    }


def _tree(root: int) -> list[int]:
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        try:
            stack.extend(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        except OSError:
            continue
    return pids


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime of the process itself


def cpu_s(root: int) -> float:
    """CPU seconds used so far by a process and its live descendants (uvicorn's workers)."""
    return sum(_cpu_ticks(pid) for pid in _tree(root)) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (server and backends)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += _cpu_ticks(int(entry.name))
            except OSError:
                continue
    return total / os.sysconf("SC_CLK_TCK")


async def drive_costed(
    base: str,
    requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]],
    concurrency: int,
    server: int,
) -> dict[str, Any]:
    """`drive`, plus the CPU milliseconds per request spent by the server's processes, by
    PostgreSQL and by this load generator: unlike latencies, these hold still when the
    machine's other tenants take CPU time, so before/after comparisons rest on them."""
    before = (cpu_s(server), postgres_cpu_s(), time.process_time())
    out = await drive(base, requests, concurrency)
    after = (cpu_s(server), postgres_cpu_s(), time.process_time())
    n = max(out["n"], 1)
    out["cpu_ms_per_request"] = {
        name: round(1000 * (a - b) / n, 2)
        for name, a, b in zip(("server", "postgres", "load_generator"), after, before, strict=True)
    }
    return out


def rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (uvicorn's workers), in MiB."""
    total = 0
    for pid in _tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return round(total / 1024, 1)


SOAK_MIX = (  # share of requests; a booking is its slot list (counted as listSlots) then the POST
    ("listSlots", 0.75),
    ("listOffers", 0.08),
    ("book", 0.12),
    ("cancel", 0.04),
    ("escalate", 0.01),
)
EXPECTED = {
    "listSlots": {200},
    "listOffers": {200},
    "bookAppointment": {201, 409},  # 409: the window went to someone else meanwhile
    "cancelAppointment": {200},
    "escalate": {201},
}


def _window_stats(events: list[tuple[float, str, int, float]], lo: float, hi: float) -> dict[str, Any]:
    picked = [e for e in events if lo <= e[0] < hi]
    slots = [e[3] for e in picked if e[1] == "listSlots"]
    return {
        "requests": len(picked),
        "errors": sum(1 for e in picked if e[2] not in EXPECTED[e[1]]),
        "listSlots_p50_ms": pct(slots, 0.5),
        "listSlots_p99_ms": pct(slots, 0.99),
        "all_p99_ms": pct([e[3] for e in picked], 0.99),
    }


async def soak(
    api: str,
    settings: Settings,
    orders: list[tuple[str, str]],
    args: argparse.Namespace,
    pids: dict[str, int],
) -> dict[str, Any]:
    """A steady open-loop mix at `args.rate` requests/s for `args.minutes`: per-minute counts,
    errors and latency, and the RSS of the API (all uvicorn processes) and the arq worker."""
    agent, techs = await staff_tokens(settings)
    tech_tokens = list(techs.values())
    rng = random.Random(3)
    fresh = list(reversed(orders))  # orders not booked yet
    booked: list[tuple[str, str]] = []
    events: list[tuple[float, str, int, float]] = []
    samples: list[dict[str, Any]] = []
    in_flight: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=api, limits=limits, timeout=60) as http:
        start = time.perf_counter()

        async def call(op: str, method: str, path: str, token: str, **kw: Any) -> httpx.Response | None:
            t0 = time.perf_counter()
            try:
                r = await http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
            except httpx.HTTPError:
                events.append((t0 - start, op, 0, time.perf_counter() - t0))
                return None
            events.append((t0 - start, op, r.status_code, time.perf_counter() - t0))
            return r

        async def book() -> None:
            if not fresh:
                return
            order, token = fresh.pop()
            r = await call("listSlots", "GET", f"/work-orders/{order}/slots?days=2", token)
            got = (r.json().get("slots") or []) if r is not None and r.status_code == 200 else []
            if not got:
                return
            pick = rng.choice(got)
            r = await call(
                "bookAppointment",
                "POST",
                f"/work-orders/{order}/appointment",
                token,
                json={"window_start": pick["start"], "window_end": pick["end"]},
            )
            if r is not None and r.status_code == 201:
                booked.append((order, token))

        async def one(kind: str, i: int) -> None:
            if kind == "listSlots":
                order, token = orders[rng.randrange(len(orders))]
                await call("listSlots", "GET", f"/work-orders/{order}/slots?days=2", token)
            elif kind == "listOffers":
                await call("listOffers", "GET", "/mobile/v1/offers", rng.choice(tech_tokens))
            elif kind == "book":
                await book()
            elif kind == "cancel" and booked:
                order, token = booked.pop(0)
                await call(
                    "cancelAppointment", "POST", f"/work-orders/{order}/appointment/cancel", token, json={}
                )
            elif kind == "escalate":
                await call("escalate", "POST", "/escalations", agent, json=escalation_body(i, rng, "SOAK"))

        kinds = [k for k, _ in SOAK_MIX]
        weights = [w for _, w in SOAK_MIX]
        total = int(args.minutes * 60 * args.rate)
        next_sample = 0.0
        for i in range(total):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter() - start
            if now >= next_sample:
                samples.append(
                    {
                        "t_s": round(now, 1),
                        "api_rss_mb": rss_mb(pids["api"]),
                        "worker_rss_mb": rss_mb(pids["worker"]),
                        "in_flight": len(in_flight),
                        "load": os.getloadavg()[0],
                    }
                )
                next_sample += args.sample_s
            task = asyncio.create_task(one(rng.choices(kinds, weights)[0], i))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        await asyncio.gather(*in_flight)
        wall = time.perf_counter() - start
    samples.append(
        {
            "t_s": round(wall, 1),
            "api_rss_mb": rss_mb(pids["api"]),
            "worker_rss_mb": rss_mb(pids["worker"]),
            "in_flight": 0,
            "load": os.getloadavg()[0],
        }
    )
    minutes = [_window_stats(events, m * 60, (m + 1) * 60) for m in range(int(wall // 60) + 1)]
    fifth = wall / 5
    warm = next((x for x in samples if x["t_s"] >= 60), samples[0])
    by_op: dict[str, Any] = {}
    for op in EXPECTED:
        lat = [e[3] for e in events if e[1] == op]
        codes: dict[str, int] = {}
        for e in events:
            if e[1] == op:
                codes[str(e[2])] = codes.get(str(e[2]), 0) + 1
        by_op[op] = {"n": len(lat), "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99), "codes": codes}
    return {
        "minutes": round(wall / 60, 1),
        "target_rate": args.rate,
        "achieved_rate": round(len(events) / wall, 1),
        "errors": sum(1 for e in events if e[2] not in EXPECTED[e[1]]),
        "by_operation": by_op,
        "first_fifth": _window_stats(events, 0, fifth),
        "last_fifth": _window_stats(events, wall - fifth, wall + 1),
        "rss_after_first_minute": {"api_mb": warm["api_rss_mb"], "worker_mb": warm["worker_rss_mb"]},
        "rss_at_end": {"api_mb": samples[-1]["api_rss_mb"], "worker_mb": samples[-1]["worker_rss_mb"]},
        "rss_change_pct": {
            key: round(
                100 * (samples[-1][f"{key}_rss_mb"] - warm[f"{key}_rss_mb"]) / warm[f"{key}_rss_mb"], 1
            )
            for key in ("api", "worker")
            if warm[f"{key}_rss_mb"]
        },
        "per_minute": minutes,
        "samples": samples,
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
            result["listSlots"] = await drive_costed(api, reqs, args.concurrency, procs[0].pid)
            result["bare_for_slots"] = await drive_costed(
                bare, [("GET", "/bare", None, {})] * args.requests, args.concurrency, procs[1].pid
            )
            result["listSlots"]["p99_ratio_to_bare"] = round(
                result["listSlots"]["p99_ms"] / max(result["bare_for_slots"]["p99_ms"], 0.01), 1
            )
            result["listSlots_by_concurrency"] = [
                {
                    "concurrency": c,
                    "listSlots": await drive(api, reqs[: args.sweep_requests], c),
                    "bare": await drive(bare, [("GET", "/bare", None, {})] * args.sweep_requests, c),
                }
                for c in args.sweep
            ]
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
            result["bookAppointment"] = await drive_costed(api, reqs, args.concurrency, procs[0].pid)
            result["bare_for_book"] = await drive_costed(
                bare, [("POST", "/bare", {"x": 1}, {})] * len(reqs), args.concurrency, procs[1].pid
            )
            result["bookAppointment"]["rate_ratio_to_bare"] = round(
                result["bookAppointment"]["per_s"] / max(result["bare_for_book"]["per_s"], 0.01), 3
            )
        if args.which in ("offers", "all", "soak"):
            procs.append(
                subprocess.Popen(  # noqa: ASYNC220
                    [sys.executable, "-m", "arq", "workers.settings.WorkerSettings"],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        if args.which == "soak":
            result["bare"] = await drive(bare, [("GET", "/bare", None, {})] * 500, args.concurrency)
            result["soak"] = await soak(
                api, settings, orders, args, {"api": procs[0].pid, "worker": procs[-1].pid}
            )
            result["soak"]["listSlots_p99_ratio_to_bare"] = round(
                result["soak"]["by_operation"]["listSlots"]["p99_ms"] / max(result["bare"]["p99_ms"], 0.01), 1
            )
        if args.which in ("offers", "all"):
            result["escalation_to_offer"] = await escalation_to_offer(api, url, settings, args.escalations)
            result["bare_for_offers"] = await drive(bare, [("GET", "/bare", None, {})] * 200, 1)
            result["escalation_to_offer"]["p95_ratio_to_bare"] = round(
                result["escalation_to_offer"]["p95_ms"] / max(result["bare_for_offers"]["p95_ms"], 0.01), 1
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
    parser.add_argument("which", choices=["slots", "book", "offers", "all", "soak"])
    parser.add_argument("--minutes", type=float, default=30, help="soak: how long")
    parser.add_argument("--rate", type=float, default=20, help="soak: requests per second, steady")
    parser.add_argument("--sample-s", type=float, default=15, help="soak: RSS sampling period")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=250)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument(
        "--sweep",
        type=lambda text: [int(c) for c in text.split(",") if c],
        default=[1, 2, 4, 8, 16],
        help="slots: requests in flight to measure latency at, comma-separated (empty: none)",
    )
    parser.add_argument("--sweep-requests", type=int, default=400, help="slots: requests per sweep level")
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
