"""`python -m demo`: the `fieldhand` commands plus the demo city and the simulated day.

- `run` migrates, seeds the demo city once and serves like `fieldhand run`, printing the
  demo logins (what `make run` starts); `--city helsinki` seeds central Helsinki instead
  and plans it on its real streets;
- `seed` seeds the demo city into the configured database (idempotent);
- `simulate` plays a compressed day through the real API and workers (`make simulate`).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from api.cli import add_serving_arguments, serve, serving_settings
from demo.city import AMSTERDAM, CITIES, DemoCity, demo_city_present, demo_logins, seed_demo_city
from demo.simulation.cli import run_simulate
from marketplace import migrations
from marketplace.clock import utcnow
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.logs import configure_logging
from marketplace.settings import Settings


def city_environment(city: DemoCity) -> dict[str, str]:
    """The settings serving `city` needs, as environment defaults: its time zone and region,
    and its street network for planning when it has one. Variables already set win."""
    wanted = {"FIELDHAND_DEFAULT_TIMEZONE": city.tz, "FIELDHAND_CONSOLE_REGION": city.region}
    if city.roads_extract:
        wanted |= {"FIELDHAND_TRAVEL_MODEL": "roads", "FIELDHAND_TRAVEL_ROADS_EXTRACT": city.roads_extract}
    return wanted


async def _seed(settings: Settings, city: DemoCity) -> bool:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            return await seed_demo_city(session, now=utcnow(), customer_orders=True, city=city)
    finally:
        await engine.dispose()


async def _demo_present(settings: Settings) -> bool:
    engine = make_engine(settings)
    try:
        async with make_session_factory(engine)() as session:
            return await demo_city_present(session)
    finally:
        await engine.dispose()


def login_notes(base_url: str) -> list[str]:
    """The banner lines listing the demo logins."""
    lines = [f"  Demo logins (POST {base_url}/auth/token):"]
    return lines + [f"    {x.role:<11} {x.email:<32} {x.password}" for x in demo_logins()]


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    configure_logging(os.environ.get("FIELDHAND_LOG_LEVEL", "INFO"))
    city = CITIES[args.city]
    for name, value in city_environment(city).items():
        os.environ.setdefault(name, value)  # read again below and by every API process
    settings = Settings()
    migrations.upgrade(settings.database_url)
    if not args.no_seed:
        created = asyncio.run(_seed(settings, city))
        print(f"Seeded the demo city ({city.name})." if created else "Reusing the existing demo data.")
    if settings.travel_model == "roads":
        print(f"Day plans use the street network of {settings.travel_roads_extract}.")
        if settings.redis_url:
            print("  (a `make worker` of its own plans too: give it the same FIELDHAND_TRAVEL_* variables)")
    base = serving_settings(settings, args.host, args.port).public_url
    notes = login_notes(base) if asyncio.run(_demo_present(settings)) else None
    return serve(settings, args, notes)


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    created = asyncio.run(_seed(settings, CITIES[args.city]))
    print("demo city seeded" if created else "demo city already present; nothing changed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo", description="Fieldhand with the demo city and the simulated day"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migrate, seed the demo city and serve API + in-process worker")
    add_serving_arguments(run)
    run.add_argument("--no-seed", action="store_true", help="serve without seeding the demo city")
    run.set_defaults(handler=cmd_run)
    seed = sub.add_parser("seed", help="seed the demo city (idempotent)")
    seed.set_defaults(handler=cmd_seed)
    for command in (run, seed):
        command.add_argument(
            "--city",
            choices=sorted(CITIES),
            default=os.environ.get("FIELDHAND_DEMO_CITY", AMSTERDAM.region),
            help="amsterdam (straight-line travel) or helsinki (planned on its streets, bundled map)",
        )
    simulate = sub.add_parser(
        "simulate", help="replay a compressed day through the API and workers; print metrics"
    )
    simulate.add_argument("--hours", type=float, default=8.0)
    simulate.add_argument("--scale", choices=["small", "medium", "full"], default="small")
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--base-url", default=None, help="a running server on the same database")
    simulate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    simulate.set_defaults(handler=run_simulate)
    args = parser.parse_args(argv)
    return int(args.handler(Settings(), args))
