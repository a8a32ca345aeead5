"""A simulated month with the fairness weight at 0 and at the default, side by side.

    python -m bench.fairness_month --days 30 --out bench/results/fairness_month.json --update-doc

Each run gets a fresh PostgreSQL database, the demo city's catalog and SLA policies (its own
technicians are switched off so they take no work), and a simulation region of
`--scale` (`demo.simulation.setup`: technicians working 08:00-18:00 Amsterdam time every day).
The month is played through the real HTTP API and the periodic jobs exactly as
`python -m demo simulate` plays a day (`demo.simulation.run.Sim`), with the clock moved by
time-machine: `--hours-per-tick` hours per tick during the working day, then on to the next
morning. Both runs use the same seed: the same technicians and the same tickets (who, where,
what, how urgent) at the same instants; the technicians' answers (accept 85 %) come from a
separate generator, so they differ once the runs' offers differ.

Reported per run: visits served, the Gini coefficient of the technicians' earnings (every
technician of the region counted, those who earned nothing included), travel km (the
planned travel to each completed visit, from the accepted offer), SLA misses (completed
after the SLA deadline, or still open past it at the end) and the same split for urgent
(instantly dispatched) visits, where the ranking and so the fairness term decide.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
import time_machine
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.devices import PG, drop_database, fresh_database  # noqa: E402
from demo.city import CITY_TZ, seed_demo_city  # noqa: E402
from demo.simulation.run import Sim, _serve, run_periodic  # noqa: E402
from demo.simulation.setup import SCALES, seed_sim_region  # noqa: E402
from dispatch.scoring import DEFAULT_WEIGHTS  # noqa: E402
from marketplace import migrations  # noqa: E402
from marketplace.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from marketplace.fairness.metrics import gini  # noqa: E402
from marketplace.fairness.service import region_fairness  # noqa: E402
from marketplace.offers.models import Offer  # noqa: E402
from marketplace.settings import Settings  # noqa: E402
from marketplace.technicians.models import Technician  # noqa: E402
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent  # noqa: E402
from workers.context import TaskContext  # noqa: E402
from workers.queue import InProcessQueue  # noqa: E402

DOC = ROOT / "bench" / "BENCHMARKS.md"
SECTION = "fairness-month"
FIRST_DAY = datetime(2026, 3, 2, tzinfo=ZoneInfo(CITY_TZ))  # a Monday, well before any DST change


async def _month_metrics(
    settings: Settings, region: str, tech_ids: list[uuid.UUID], end: datetime
) -> dict[str, Any]:
    engine = make_engine(settings)
    try:
        async with make_session_factory(engine)() as s:
            orders = list((await s.execute(select(WorkOrder).where(WorkOrder.region == region))).scalars())
            ids = [o.id for o in orders]
            done_at = dict(
                (
                    await s.execute(
                        select(WorkOrderEvent.work_order_id, sa.func.min(WorkOrderEvent.at))
                        .where(
                            col(WorkOrderEvent.work_order_id).in_(ids),
                            WorkOrderEvent.to_status == "completed",
                        )
                        .group_by(col(WorkOrderEvent.work_order_id))
                    )
                ).all()
            )
            accepted = {
                o.work_order_id: o
                for o in (
                    await s.execute(
                        select(Offer).where(col(Offer.work_order_id).in_(ids), Offer.status == "accepted")
                    )
                ).scalars()
            }
            ledger = await region_fairness(s, region, start=FIRST_DAY, end=end)
    finally:
        await engine.dispose()
    earnings = {tid: 0 for tid in tech_ids}
    travel_m = {"all": 0, "urgent": 0}
    served = {"all": 0, "urgent": 0}
    misses = {"all": 0, "urgent": 0}
    for order in orders:
        groups = ("all", "urgent") if order.priority <= 2 else ("all",)
        finished = done_at.get(order.id)
        offer = accepted.get(order.id)
        if finished is not None and offer is not None:
            earnings[offer.technician_id] = earnings.get(offer.technician_id, 0) + (offer.earnings_minor or 0)
            for g in groups:
                served[g] += 1
                travel_m[g] += int(offer.explanation.get("travel_m", 0))
        late = order.sla_due_at is not None and (
            (finished is not None and finished > order.sla_due_at)
            or (finished is None and order.status not in ("cancelled",) and order.sla_due_at < end)
        )
        for g in groups:
            misses[g] += int(late)
    values = sorted(earnings.values())
    return {
        "work_orders": len(orders),
        "urgent_orders": sum(1 for o in orders if o.priority <= 2),
        "visits_served": served["all"],
        "urgent_visits_served": served["urgent"],
        "earnings_gini": round(gini(values), 4),
        "earnings_gini_ledger": round(ledger.gini_earnings, 4),
        "earnings_min_max_eur": [round(values[0] / 100, 2), round(values[-1] / 100, 2)] if values else None,
        "technicians_without_earnings": sum(1 for v in values if v == 0),
        "travel_km": round(travel_m["all"] / 1000, 1),
        "travel_km_per_visit": round(travel_m["all"] / 1000 / served["all"], 2) if served["all"] else None,
        "urgent_travel_km": round(travel_m["urgent"] / 1000, 1),
        "sla_misses": misses["all"],
        "urgent_sla_misses": misses["urgent"],
    }


async def _month(args: argparse.Namespace, weight: float, traveller: Any) -> dict[str, Any]:
    name = await fresh_database("fieldhand_bench_fairness")
    url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    os.environ["FIELDHAND_DISPATCH_FAIRNESS_PER_PCT"] = str(weight)
    os.environ["FIELDHAND_MONEY_PAYOUT_HOLD_S"] = "0"
    # an instant offer waits for the technicians' next look (the next tick), not 2 minutes
    os.environ["FIELDHAND_DISPATCH_INSTANT_OFFER_TTL_S"] = str(int(args.hours_per_tick * 3600) - 60)
    settings = Settings(database_url=url, redis_url=None, run_periodic_jobs=False, solver_time_limit_s=1.0)
    started = time.perf_counter()
    server = None
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        morning = FIRST_DAY.replace(hour=args.day_start)
        traveller.move_to(morning)
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        now = datetime.now(UTC)
        async with unit_of_work(factory) as session:
            await seed_demo_city(session, now=now, technicians=1, customers=1)
            await session.execute(sa.update(Technician).values(status="suspended"))
        async with unit_of_work(factory) as session:
            people = await seed_sim_region(
                session,
                scale=args.scale,
                now=now,
                hours=0,
                seed=args.seed,
                days=args.days + 2,
                day_hours=(args.day_start, args.day_end),
            )
        queue = InProcessQueue()
        ctx = TaskContext(settings=settings, engine=engine, session_factory=factory, queue=queue)
        queue.bind(ctx)
        base_url, server = _serve(settings)
        per_tick = SCALES[args.scale][2]
        ticks_per_day = max(1, int((args.day_end - args.day_start) / args.hours_per_tick))
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
            sim = Sim(
                http,
                settings,
                people,
                random.Random(args.seed),
                demand_rng=random.Random(args.seed + 1_000),
                urgent_share=args.urgent_share,
                steps_per_tick=3,
            )
            tick = 0
            for day in range(args.days):
                sim.tokens.clear()  # sign in again each day (tokens live 12 h)
                for k in range(ticks_per_day):
                    traveller.move_to(morning + timedelta(days=day, hours=k * args.hours_per_tick))
                    await sim.escalate(tick, per_tick)
                    await sim.dispatch()
                    await run_periodic(ctx)
                    await sim.technicians_act(tick)
                    await sim.cancel_some()
                    await run_periodic(ctx)
                    tick += 1
                sys.stderr.write(
                    f"\rweight {weight:g}: day {day + 1}/{args.days}  orders {len(sim.day.orders)}  "
                    f"{time.perf_counter() - started:6.0f} s "
                )
                sys.stderr.flush()
            sys.stderr.write("\n")
            await queue.drain()
        end = morning + timedelta(days=args.days - 1, hours=args.day_end - args.day_start)
        traveller.move_to(end)
        result = await _month_metrics(settings, people.region, [t for t, _ in people.technicians], end)
        await queue.close()
        await engine.dispose()
        return {"fairness_per_pct": weight, **result, "wall_s": round(time.perf_counter() - started, 1)}
    finally:
        if server is not None:
            server.should_exit = True
            await asyncio.sleep(0.5)
        if not args.keep:
            await drop_database(name)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    runs = []
    seeds = args.seeds or [args.seed]
    with time_machine.travel(FIRST_DAY, tick=True) as traveller:
        for seed in seeds:
            for weight in (0.0, DEFAULT_WEIGHTS.fairness_per_pct):
                month = await _month(argparse.Namespace(**{**vars(args), "seed": seed}), weight, traveller)
                runs.append({"seed": seed, **month})
    return {
        "command": "python -m bench.fairness_month " + " ".join(sys.argv[1:]),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "days": args.days,
        "scale": args.scale,
        "technicians": SCALES[args.scale][0],
        "tickets_per_tick": SCALES[args.scale][2],
        "hours_per_tick": args.hours_per_tick,
        "working_day": [args.day_start, args.day_end],
        "urgent_share": args.urgent_share,
        "seeds": seeds,
        "runs": runs,
        "means": _means(runs),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


MEANS = ("visits_served", "earnings_gini", "travel_km", "sla_misses", "urgent_travel_km")


def _means(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per weight, the mean over the seeds of the headline figures."""
    out = []
    for weight in sorted({r["fairness_per_pct"] for r in runs}):
        same = [r for r in runs if r["fairness_per_pct"] == weight]
        out.append(
            {
                "fairness_per_pct": weight,
                "seeds": len(same),
                **{k: round(sum(r[k] for r in same) / len(same), 4) for k in MEANS},
            }
        )
    return out


def _weight(value: float) -> str:
    return "0 (off)" if value == 0 else f"{value:g} (default)"


def _row(r: dict[str, Any]) -> str:
    return (
        f"| {r['seed']} | {_weight(r['fairness_per_pct'])} | {r['visits_served']} of {r['work_orders']} | "
        f"**{r['earnings_gini']:.3f}** ({r['earnings_gini_ledger']:.3f}) | "
        f"{r['technicians_without_earnings']} | "
        f"**{r['travel_km']:.1f}** ({r['travel_km_per_visit']}) | {r['sla_misses']} | "
        f"{r['urgent_visits_served']} of {r['urgent_orders']} / {r['urgent_travel_km']:.1f} / "
        f"{r['urgent_sla_misses']} | {r['wall_s']:.0f} |"
    )


def _mean_row(m: dict[str, Any]) -> str:
    return (
        f"| mean of {m['seeds']} | {_weight(m['fairness_per_pct'])} | {m['visits_served']:.1f} | "
        f"**{m['earnings_gini']:.3f}** | | **{m['travel_km']:.1f}** | {m['sla_misses']:.1f} | "
        f"km {m['urgent_travel_km']:.1f} | |"
    )


def table(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| seed | fairness weight | visits served | earnings Gini (ledger) | techs earning 0"
            " | travel km (per visit) | SLA misses | urgent: served / km / SLA misses | wall s |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *(_row(r) for r in result["runs"]),
            *(_mean_row(m) for m in result.get("means", [])),
        ]
    )


def update_doc(result: dict[str, Any]) -> None:
    text = DOC.read_text()
    begin, end = f"<!-- BEGIN {SECTION} -->", f"<!-- END {SECTION} -->"
    if begin not in text:
        return
    head, rest = text.split(begin, 1)
    body, tail = rest.split(end, 1)
    marker = "<!-- table -->"
    if marker not in body:
        return
    before, after = body.split(marker, 1)
    after = after.split("\n\n", 1)[1] if "\n\n" in after else ""
    DOC.write_text(head + begin + before + marker + "\n" + table(result) + "\n\n" + after + end + tail)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--hours-per-tick", type=float, default=2.0)
    parser.add_argument("--day-start", type=int, default=8)
    parser.add_argument("--day-end", type=int, default=18)
    parser.add_argument("--urgent-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--seeds",
        type=lambda text: [int(x) for x in text.split(",")],
        help="several seeds, comma-separated (each played with both weights); overrides --seed",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--update-doc", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2)
    print(text)
    print(table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    if args.update_doc:
        update_doc(result)


if __name__ == "__main__":
    main()
