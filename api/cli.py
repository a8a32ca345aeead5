"""`fieldhand` command: migrate, serve the API (with an in-process worker unless Redis is set),
create the first admin.

This is a composition root (like `api/app.py`): it may wire every package together. The demo
city and the simulated day are not part of the shipped packages; `python -m demo` (the `demo/`
folder of a source checkout) adds them on top of `serve` here.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from marketplace import migrations
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.errors import DomainError
from marketplace.logs import configure_logging
from marketplace.metrics import prepare_multiprocess_metrics
from marketplace.settings import DEV_JWT_SECRET, Settings
from marketplace.users.accounts import AdminAccount, AdminOutcome, ensure_admin

ADMIN_PASSWORD_ENV = "FIELDHAND_ADMIN_PASSWORD"


def served_address(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    return f"http://{shown}:{port}"


def serving_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings to serve with: the public base URL defaults to the address served on."""
    if settings.public_base_url:
        return settings
    return settings.model_copy(update={"public_base_url": served_address(host, port)})


NO_DEMO_NOTE = ["  No demo data here. Create the first admin: make create-admin EMAIL=you@example.com"]


def startup_banner(settings: Settings, served_at: str, notes: list[str] | None = None) -> str:
    """What the server prints on start; `notes` end it (the default tells how to get an admin)."""
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
    lines += NO_DEMO_NOTE if notes is None else notes
    return "\n".join(lines)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    print(f"database migrated: {settings.database_url}")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    configure_logging(os.environ.get("FIELDHAND_LOG_LEVEL", "INFO"))
    migrations.upgrade(settings.database_url)
    return serve(settings, args)


def serve(settings: Settings, args: argparse.Namespace, notes: list[str] | None = None) -> int:
    """Serve the API on `args.host`/`args.port` from `args.workers` processes (more than one
    needs Redis; the tasks then run in `make worker`). The database must be migrated."""
    import uvicorn

    from api.app import create_app

    if settings.jwt_secret == DEV_JWT_SECRET and settings.environment != "development":
        print("refusing to start: set FIELDHAND_JWT_SECRET outside development", file=sys.stderr)
        return 2
    settings = serving_settings(settings, args.host, args.port)
    print(startup_banner(settings, served_address(args.host, args.port), notes), flush=True)
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


def add_serving_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and how many processes `serve` uses (shared with `python -m demo run`)."""
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("FIELDHAND_WEB_WORKERS", "1")),
        help="API processes (more than 1 needs Redis; tasks then run in `make worker`)",
    )


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldhand", description="Fieldhand field-service marketplace")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migrate and serve the API (+ an in-process worker without Redis)")
    add_serving_arguments(run)
    run.set_defaults(handler=cmd_run)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(handler=cmd_migrate)
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
    args = parser.parse_args(argv)
    settings = Settings()
    return int(args.handler(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
