"""Device telemetry benchmarks (PostgreSQL). Run from the repository root:

    python bench/devices.py intake --devices 10000 --per-batch 30 --seconds 120 \
        --out bench/results/devices_intake.json
    python bench/devices.py layout --rows 2000000 --out bench/results/devices_layout.json

`intake` starts the real app (uvicorn, one process, in-process task queue, PostgreSQL) on a
fresh database, registers the devices, and replays them open-loop: each device posts one
batch a minute at its own offset, whatever the server's latency. A few devices post a
reading below a threshold rule; the generator polls for their work orders to measure the
lag from the reading's POST to a committed work order. `layout` compares the readings
table as designed (plain, BRIN on time) with daily range partitions.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marketplace import migrations  # noqa: E402

PG = os.environ.get("FIELDHAND_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
MODEL = "bench-boiler"
METRICS = [("pressure", "bar"), ("temperature", "celsius"), ("flow_rate", "l/min")]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def fresh_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG + "/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def seed(dsn: str, devices: int, failing: int) -> list[tuple[str, str]]:
    """Devices (id, secret) for one customer; a threshold rule that fires on one reading."""
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    await conn.execute("INSERT INTO skills (code, name) VALUES ('hvac.repair', 'HVAC repair')")
    await conn.execute(
        "INSERT INTO service_categories (code, name, required_skills, required_certifications, duration_s,"
        " remote_fixable, base_price_minor) VALUES ('boiler-fault', 'Boiler fault',"
        ' \'[{"code": "hvac.repair", "min_level": 1}]\', \'[]\', 3600, false, 9000)'
    )
    customer = uuid.uuid4()
    await conn.execute(
        "INSERT INTO customers (id, name, tier, timezone, created_at)"
        " VALUES ($1, 'Bench', 'standard', 'UTC', $2)",
        customer,
        now,
    )
    creds = [(uuid.uuid4(), uuid.uuid4().hex + uuid.uuid4().hex) for _ in range(devices)]
    await conn.copy_records_to_table(
        "devices",
        records=[
            (
                d,
                customer,
                "boiler",
                MODEL,
                "boiler-fault",
                f"Boiler {i}",
                52.37,
                4.89,
                "active",
                hashlib.sha256(s.encode()).hexdigest(),
                now,
            )
            for i, (d, s) in enumerate(creds)
        ],
        columns=[
            "id",
            "customer_id",
            "kind",
            "model",
            "category_code",
            "name",
            "lat",
            "lng",
            "status",
            "credential_hash",
            "created_at",
        ],
    )
    await conn.execute(
        "INSERT INTO device_rules (id, model, metric, kind, comparison, threshold, duration_s, min_points,"
        " enabled, updated_at) VALUES ($1, $2, 'pressure', 'threshold', 'below', 0.5, 0, 10, true, $3)",
        uuid.uuid4(),
        MODEL,
        now,
    )
    await conn.close()
    return [(str(d), s) for d, s in creds]


def start_server(db_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FIELDHAND_DATABASE_URL": db_url,
        "FIELDHAND_RUN_PERIODIC_JOBS": "false",
        "FIELDHAND_DATABASE_POOL_SIZE": "20",
    }
    env.pop("FIELDHAND_REDIS_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )


class RawClient:
    """A lean HTTP/1.1 keep-alive client for the load generator: it shares the machine's
    two cores with the server and PostgreSQL, and httpx costs about a millisecond of CPU
    per request, a large part of the budget at 167 requests/s. Bodies are pre-encoded
    bytes; only the status line and Content-Length of the answer are parsed."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.gate = asyncio.Semaphore(size)

    async def post(self, path: str, body: bytes, authorization: str) -> int:
        async with self.gate:
            conn = self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            try:
                writer.write(
                    (
                        f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {authorization}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    ).encode("latin-1")
                    + body
                )
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                keep = True
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        keep = False
                if length:
                    await reader.readexactly(length)
            except BaseException:
                writer.close()
                raise
            if keep:
                self.idle.append(conn)
            else:
                writer.close()
            return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def encoded_batch(per_batch: int, now: datetime, rng: random.Random, failing: bool) -> bytes:
    return json.dumps(batch(per_batch, now, rng, failing), separators=(",", ":")).encode()


def batch(per_batch: int, now: datetime, rng: random.Random, failing: bool) -> dict[str, Any]:
    readings = []
    per_metric = per_batch // len(METRICS)
    for metric, unit in METRICS:
        for k in range(per_metric):
            at = now - timedelta(seconds=60 - k * (60 / per_metric))
            value = 1.5 + rng.uniform(-0.05, 0.05)
            if failing and metric == "pressure" and k == per_metric - 1:
                value = 0.3
            readings.append(
                {
                    "metric": metric,
                    "unit": unit,
                    "value": round(value, 3),
                    "at": at.isoformat(timespec="milliseconds"),
                }
            )
    return {"readings": readings}


async def intake(args: argparse.Namespace) -> dict[str, Any]:
    name = await fresh_database("fieldhand_bench_devices")
    db_url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    dsn = f"{PG}/{name}"
    try:
        await asyncio.to_thread(migrations.upgrade, db_url)
        creds = await seed(dsn, args.devices, args.failing)
        port = args.port
        server = start_server(db_url, port, args.server_workers)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(
                base_url=base, timeout=30, limits=httpx.Limits(max_connections=args.connections)
            ) as client:
                for _ in range(1200):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("the app did not start within 120 s")
                return await drive(args, client, dsn, creds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        if not args.keep:
            await drop_database(name)


async def drive(
    args: argparse.Namespace, client: httpx.AsyncClient, dsn: str, creds: list[tuple[str, str]]
) -> dict[str, Any]:
    rng = random.Random(1)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent_failing: dict[str, float] = {}
    failing_every = max(1, int(args.seconds * len(creds) / 60 / max(args.failing, 1)))
    tasks: set[asyncio.Task[None]] = set()
    errors: dict[str, int] = {}
    lags: list[float] = []
    sending = True

    async def poll_orders() -> None:
        """Lag: from the start of a failing reading's POST to its committed work order."""
        conn = await asyncpg.connect(dsn)
        try:
            deadline = None
            while True:
                if not sending:
                    deadline = deadline or time.perf_counter() + 60
                    if not sent_failing or time.perf_counter() > deadline:
                        return
                rows = await conn.fetch("SELECT external_ref FROM work_orders WHERE source = 'device_alert'")
                now = time.perf_counter()
                for ref in {r["external_ref"].split(":")[1] for r in rows}:
                    started = sent_failing.pop(ref, None)
                    if started is not None:
                        lags.append(now - started)
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    poller = asyncio.create_task(poll_orders())

    async def progress() -> None:
        while True:
            await asyncio.sleep(10)
            print(
                f"[{time.perf_counter() - wall0:6.1f}s] sent {i} done {len(latencies)} "
                f"in flight {len(tasks)} statuses {statuses} p99 {pct(latencies[-2000:], 99):.3f}s",
                file=sys.stderr,
                flush=True,
            )

    reporter = asyncio.create_task(progress())

    raw = RawClient(client.base_url.host, client.base_url.port or 80, args.connections)

    async def post(device_id: str, secret: str, failing: bool) -> None:
        """Latency counts from the scheduled send time, so time spent waiting for a free
        connection (the server falling behind) is included, not hidden."""
        started = time.perf_counter()
        if failing:
            sent_failing.setdefault(device_id, started)
        body = encoded_batch(args.per_batch, datetime.now(UTC), rng, failing)
        try:
            status = await raw.post("/telemetry", body, f"Device {device_id}.{secret}")
            statuses[status] = statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            statuses[0] = statuses.get(0, 0) + 1
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        latencies.append(time.perf_counter() - started)

    interval = 60.0 / len(creds)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    wall0 = time.perf_counter()
    i = 0
    n_failing = 0
    while True:
        due = t0 + i * interval
        if due - t0 >= args.seconds:
            break
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        device_id, secret = creds[i % len(creds)]
        failing = n_failing < args.failing and i % failing_every == failing_every // 2
        n_failing += failing
        task = asyncio.create_task(post(device_id, secret, failing))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        i += 1
    send_end = time.perf_counter()
    await asyncio.gather(*tasks)
    raw.close()
    reporter.cancel()
    elapsed = time.perf_counter() - wall0
    sending = False
    await poller
    pending = sent_failing
    conn = await asyncpg.connect(dsn)
    stored = await conn.fetchval("SELECT count(*) FROM device_readings")
    size = await conn.fetchval("SELECT pg_total_relation_size('device_readings')")
    brin = await conn.fetchval("SELECT pg_relation_size('ix_device_readings_at_brin')")
    await conn.close()
    return {
        "devices": len(creds),
        "per_batch": args.per_batch,
        "seconds": args.seconds,
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "client_errors": errors,
        "readings_stored": stored,
        "offered_readings_per_s": round(len(creds) * args.per_batch / 60, 1),
        "sustained_readings_per_s": round(stored / elapsed, 1),  # until every batch was answered
        "drain_s": round(elapsed - (send_end - wall0), 2),
        "latency_ms": {
            "p50": round(pct(latencies, 50) * 1000, 1),
            "p95": round(pct(latencies, 95) * 1000, 1),
            "p99": round(pct(latencies, 99) * 1000, 1),
            "max": round(max(latencies, default=0) * 1000, 1),
        },
        "alert_lag_s": {
            "samples": len(lags),
            "missed": len(pending),
            "p50": round(statistics.median(lags), 2) if lags else None,
            "max": round(max(lags), 2) if lags else None,
        },
        "table_bytes": size,
        "brin_bytes": brin,
        "bytes_per_reading": round(size / stored, 1) if stored else None,
        "load_average_at_end": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


async def intake_cpu(args: argparse.Namespace) -> dict[str, Any]:
    """Server CPU per telemetry request, in one process: the app is called as an ASGI
    callable (no sockets, no HTTP client), one request at a time, and the process's CPU time
    (user + system, which includes nothing of PostgreSQL's) is divided by the requests.
    CPU time rather than wall time, so other load on the machine changes it little."""
    from api.app import create_app
    from marketplace.settings import Settings

    name = await fresh_database("fieldhand_bench_devices_cpu")
    db_url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        await asyncio.to_thread(migrations.upgrade, db_url)
        creds = await seed(f"{PG}/{name}", args.devices, 0)
        app = create_app(Settings(database_url=db_url, run_periodic_jobs=False, redis_url=None))
        rng = random.Random(1)
        statuses: dict[int, int] = {}

        async def call(device_id: str, secret: str, body: bytes) -> None:
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/telemetry",
                "raw_path": b"/telemetry",
                "query_string": b"",
                "root_path": "",
                "headers": [
                    (b"host", b"bench"),
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"authorization", f"Device {device_id}.{secret}".encode()),
                ],
                "client": ("127.0.0.1", 1),
                "server": ("bench", 80),
                "state": {},
            }
            sent = False

            async def receive() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses[message["status"]] = statuses.get(message["status"], 0) + 1

            await app(scope, receive, send)  # type: ignore[arg-type]

        async with app.lifespan():
            now = datetime.now(UTC)
            bodies = [
                encoded_batch(args.per_batch, now - timedelta(minutes=i), rng, False) for i in range(60)
            ]
            for i in range(min(100, len(creds))):  # warm up: connections, statement caches
                await call(*creds[i], bodies[0])
            statuses.clear()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for i in range(args.requests):
                device_id, secret = creds[i % len(creds)]
                await call(device_id, secret, bodies[1 + (i // len(creds)) % (len(bodies) - 1)])
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        return {
            "requests": args.requests,
            "per_batch": args.per_batch,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "server_cpu_ms_per_request": round(cpu / args.requests * 1000, 2),
            "wall_ms_per_request": round(wall / args.requests * 1000, 2),
            "requests_per_cpu_second": round(args.requests / cpu, 1),
            "load_average_at_end": os.getloadavg(),
            "cpus": os.cpu_count(),
        }
    finally:
        await drop_database(name)


LAYOUTS = {
    "plain_brin": """
        CREATE TABLE r (device_id uuid NOT NULL, metric_id smallint NOT NULL, at timestamptz NOT NULL,
                        value float8 NOT NULL, PRIMARY KEY (device_id, metric_id, at));
        CREATE INDEX r_at_brin ON r USING brin (at);
    """,
    "daily_partitions": """
        CREATE TABLE r (device_id uuid NOT NULL, metric_id smallint NOT NULL, at timestamptz NOT NULL,
                        value float8 NOT NULL, PRIMARY KEY (device_id, metric_id, at))
                        PARTITION BY RANGE (at);
    """,
}


async def layout(args: argparse.Namespace) -> dict[str, Any]:
    """Insert the same stream (device batches in time order, 1 % resent) into each layout,
    then time per-device range reads and a one-hour time-range aggregate."""
    results: dict[str, Any] = {}
    devices = [uuid.uuid4() for _ in range(args.layout_devices)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    per_device = args.rows // len(devices)
    for name, ddl in LAYOUTS.items():
        db = await fresh_database("fieldhand_bench_layout")
        conn = await asyncpg.connect(f"{PG}/{db}")
        try:
            await conn.execute(ddl)
            days = per_device // 1440 + 2
            if name == "daily_partitions":
                for d in range(days):
                    lo, hi = start + timedelta(days=d), start + timedelta(days=d + 1)
                    await conn.execute(
                        f"CREATE TABLE r_{d} PARTITION OF r"
                        f" FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
                    )
            stmt = (
                "INSERT INTO r SELECT $1, 1, unnest($2::timestamptz[]), unnest($3::float8[])"
                " ON CONFLICT DO NOTHING"
            )
            t = time.perf_counter()
            chunk = 60
            for minute0 in range(0, per_device, chunk):
                for d in devices:
                    times = [
                        start + timedelta(minutes=m) for m in range(minute0, min(minute0 + chunk, per_device))
                    ]
                    await conn.execute(stmt, d, times, [1.0] * len(times))
            insert_s = time.perf_counter() - t
            rows = await conn.fetchval("SELECT count(*) FROM r")
            await conn.execute("ANALYZE r")
            t = time.perf_counter()
            for d in devices[:200]:
                await conn.fetch(
                    "SELECT at, value FROM r WHERE device_id = $1 AND metric_id = 1 AND at >= $2 AND at < $3",
                    d,
                    start + timedelta(hours=10),
                    start + timedelta(hours=16),
                )
            range_ms = (time.perf_counter() - t) / 200 * 1000
            t = time.perf_counter()
            await conn.fetch(
                "SELECT device_id, count(*), avg(value) FROM r WHERE at >= $1 AND at < $2 GROUP BY 1",
                start + timedelta(hours=5),
                start + timedelta(hours=6),
            )
            hour_ms = (time.perf_counter() - t) * 1000
            size = await conn.fetchval(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                " WHERE c.relname LIKE 'r%' AND c.relkind IN ('r', 'p')"
            )
            results[name] = {
                "rows": rows,
                "insert_rows_per_s": round(rows / insert_s),
                "device_6h_read_ms": round(range_ms, 2),
                "one_hour_all_devices_ms": round(hour_ms, 1),
                "bytes": int(size),
            }
        finally:
            await conn.close()
            await drop_database(db)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("intake")
    p.add_argument("--devices", type=int, default=10_000)
    p.add_argument("--per-batch", type=int, default=30)
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--failing", type=int, default=20)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--port", type=int, default=18765)
    p.add_argument("--server-workers", type=int, default=2)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--out", type=Path)
    c = sub.add_parser("intake-cpu")
    c.add_argument("--devices", type=int, default=1_000)
    c.add_argument("--per-batch", type=int, default=30)
    c.add_argument("--requests", type=int, default=2_000)
    c.add_argument("--out", type=Path)
    q = sub.add_parser("layout")
    q.add_argument("--rows", type=int, default=1_000_000)
    q.add_argument("--layout-devices", type=int, default=500)
    q.add_argument("--out", type=Path)
    args = parser.parse_args()
    commands = {"intake": intake, "intake-cpu": intake_cpu, "layout": layout}
    result = asyncio.run(commands[args.command](args))
    result = {
        "command": " ".join(["python", "bench/devices.py", *sys.argv[1:]]),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **result,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
