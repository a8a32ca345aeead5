"""The `simulate` subcommand body (kept out of demo/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

from demo.simulation.run import simulate
from marketplace import migrations
from marketplace.settings import Settings


def run_simulate(settings: Settings, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("httpx", "marketplace", "workers", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    settings = settings.model_copy(
        update={"run_periodic_jobs": False, "solver_time_limit_s": min(settings.solver_time_limit_s, 1.0)}
    )
    if args.base_url is None:
        migrations.upgrade(settings.database_url)
    result = asyncio.run(
        simulate(settings, hours=args.hours, scale=args.scale, seed=args.seed, base_url=args.base_url)
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Fieldhand simulated day: {args.hours:g} h, scale {args.scale}")
    labels = {
        "sla_met_pct": "SLA met (%)",
        "avg_time_to_assign_min": "Average time to assign (min)",
        "travel_km_per_visit": "Travel per visit (km)",
        "utilisation_pct": "Technician utilisation (%)",
        "callbacks": "Callbacks (needs a human)",
        "payouts_made": "Payouts made",
    }
    for key, label in labels.items():
        print(f"  {label:<32} {result[key]}")
    for key, value in result.items():
        if key not in labels:
            print(f"  {key.replace('_', ' '):<32} {value}")
    return 0
