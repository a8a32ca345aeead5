"""`fieldhand` command: run the whole thing locally, migrate, seed, create the first admin.

This is a composition root (like `api/app.py`): it may wire every package together.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from marketplace import migrations
from marketplace.clock import utcnow
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.demo import demo_city_present, demo_logins, seed_demo_city
from marketplace.errors import DomainError
from marketplace.logs import configure_logging
from marketplace.metrics import prepare_multiprocess_metrics
from marketplace.settings import DEV_JWT_SECRET, Settings
from marketplace.users.accounts import AdminAccount, AdminOutcome, ensure_admin

ADMIN_PASSWORD_ENV = "FIELDHAND_ADMIN_PASSWORD"


async def _seed(settings: Settings) -> bool:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            return await seed_demo_city(session, now=utcnow(), customer_orders=True)
    finally:
        await engine.dispose()


async def _demo_present(settings: Settings) -> bool:
    engine = make_engine(settings)
    try:
        async with make_session_factory(engine)() as session:
            return await demo_city_present(session)
    finally:
        await engine.dispose()


def served_address(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    return f"http://{shown}:{port}"


def serving_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings to serve with: the public base URL defaults to the address served on."""
    if settings.public_base_url:
        return settings
    return settings.model_copy(update={"public_base_url": served_address(host, port)})


def startup_banner(settings: Settings, demo_present: bool, served_at: str) -> str:
    base = settings.public_url
    queue = (
        f"Redis at {settings.redis_url}" if settings.redis_url else "in-process queue (no Redis configured)"
    )
    lines = [
        f"\nFieldhand is starting on {served_at}" + (f" (public: {base})" if base != served_at else ""),
        f"  API docs:  {base}/schema  (Swagger UI: {base}/schema/swagger)",
        f"  Database:  {settings.database_url}",
        f"  Tasks:     {queue}",
        "",
    ]
    if demo_present:
        lines.append(f"  Demo logins (POST {base}/auth/token):")
        lines += [f"    {x.role:<11} {x.email:<32} {x.password}" for x in demo_logins()]
    else:
        lines.append("  No demo data here. Create the first admin: make create-admin EMAIL=you@example.com")
    return "\n".join(lines)


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
    settings = serving_settings(settings, args.host, args.port)
    banner = startup_banner(
        settings, asyncio.run(_demo_present(settings)), served_address(args.host, args.port)
    )
    print(banner, flush=True)
    print(flush=True)
    if args.workers > 1:
        if not settings.redis_url:
            print("refusing to start: --workers > 1 needs FIELDHAND_REDIS_URL", file=sys.stderr)
            return 2
        # each worker process builds its app from the environment (`api.app:create_app_from_env`)
        os.environ["FIELDHAND_PUBLIC_BASE_URL"] = settings.public_url
        prepare_multiprocess_metrics()
        uvicorn.run(
            "api.app:create_app_from_env",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="warning",
        )
        return 0
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


def _admin_password(args: argparse.Namespace) -> str | None:
    if args.password:
        return str(args.password)
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Password for the admin: ")
    if getpass.getpass("Repeat the password: ") != first:
        print("the passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


async def _ensure_admin(settings: Settings, args: argparse.Namespace, password: str) -> AdminAccount:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            return await ensure_admin(
                session,
                email=args.email,
                password=password,
                display_name=args.name,
                reset_password=args.reset_password,
            )
    finally:
        await engine.dispose()


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    password = _admin_password(args)
    if password is None:
        print(
            f"no password: pass --password, set {ADMIN_PASSWORD_ENV}, or run in a terminal to be asked",
            file=sys.stderr,
        )
        return 2
    migrations.upgrade(settings.database_url)
    try:
        account = asyncio.run(_ensure_admin(settings, args, password))
    except DomainError as refused:
        print(f"refused: {refused.detail}", file=sys.stderr)
        return 1
    messages = {
        AdminOutcome.CREATED: "admin created",
        AdminOutcome.UNCHANGED: "admin already exists; nothing changed (--reset-password sets a new one)",
        AdminOutcome.PASSWORD_RESET: "admin password reset; its old sessions are signed out",
    }
    print(f"{messages[account.outcome]}: {account.user.email}")
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
    run.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("FIELDHAND_WEB_WORKERS", "1")),
        help="API processes (more than 1 needs Redis; tasks then run in `make worker`)",
    )
    run.set_defaults(handler=cmd_run)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(handler=cmd_migrate)
    sub.add_parser("seed", help="seed the demo city (idempotent)").set_defaults(handler=cmd_seed)
    admin = sub.add_parser(
        "create-admin",
        help="create the first admin (idempotent); password from --password, "
        f"{ADMIN_PASSWORD_ENV} or a prompt",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--password", default=None, help=f"visible in shell history: prefer {ADMIN_PASSWORD_ENV}"
    )
    admin.add_argument("--name", default="Administrator", help="display name")
    admin.add_argument(
        "--reset-password", action="store_true", help="set a new password on an existing admin"
    )
    admin.set_defaults(handler=cmd_create_admin)
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
