"""`fieldhand` command: run the whole thing locally, migrate, seed.

This is a composition root (like `api/app.py`): it may wire every package together.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from marketplace import migrations
from marketplace.clock import utcnow
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.demo import demo_logins, seed_demo_city
from marketplace.logs import configure_logging
from marketplace.settings import DEV_JWT_SECRET, Settings


async def _seed(settings: Settings) -> bool:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            return await seed_demo_city(session, now=utcnow())
    finally:
        await engine.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    print(f"database migrated: {settings.database_url}")
    return 0


def cmd_seed(settings: Settings, _args: argparse.Namespace) -> int:
    created = asyncio.run(_seed(settings))
    print("demo city seeded" if created else "demo city already present; nothing changed")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    configure_logging(os.environ.get("FIELDHAND_LOG_LEVEL", "INFO"))
    migrations.upgrade(settings.database_url)
    if not args.no_seed:
        created = asyncio.run(_seed(settings))
        print("Seeded the demo city (Amsterdam)." if created else "Reusing the existing demo data.")
    if settings.jwt_secret == DEV_JWT_SECRET and settings.environment != "development":
        print("refusing to start: set FIELDHAND_JWT_SECRET outside development", file=sys.stderr)
        return 2
    base = f"http://{args.host if args.host != '0.0.0.0' else 'localhost'}:{args.port}"
    queue = (
        f"Redis at {settings.redis_url}" if settings.redis_url else "in-process queue (no Redis configured)"
    )
    print(
        f"\nFieldhand is starting on {base}\n"
        f"  API docs:  {base}/schema  (Swagger UI: {base}/schema/swagger)\n"
        f"  Database:  {settings.database_url}\n  Tasks:     {queue}\n\n"
        f"  Demo logins (POST {base}/auth/token):"
    )
    for login in demo_logins():
        print(f"    {login.role:<11} {login.email:<32} {login.password}")
    print(flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from api.simulation.cli import run_simulate

    return run_simulate(settings, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldhand", description="Fieldhand field-service marketplace")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migrate, seed the demo city and serve API + in-process worker")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument("--no-seed", action="store_true")
    run.set_defaults(handler=cmd_run)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(handler=cmd_migrate)
    sub.add_parser("seed", help="seed the demo city (idempotent)").set_defaults(handler=cmd_seed)
    simulate = sub.add_parser(
        "simulate", help="replay a compressed day through the API and workers; print metrics"
    )
    simulate.add_argument("--hours", type=float, default=8.0)
    simulate.add_argument("--scale", choices=["small", "medium", "full"], default="small")
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--base-url", default=None, help="a running server on the same database")
    simulate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    simulate.set_defaults(handler=cmd_simulate)
    args = parser.parse_args(argv)
    settings = Settings()
    return int(args.handler(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
