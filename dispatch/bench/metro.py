"""`python -m dispatch.bench metro`: one synthetic metro day planned by the day planner
and by the first-come greedy baseline, both checked by the independent validator.

The city (seeded, deterministic): a 40 x 40 km metro around a centre, visits drawn from a
few dense neighbourhoods plus a uniform background; technicians live spread over the whole
area. Five trades; technicians hold one to three of them at levels 1-3, some hold a gas
certification (a few expiring during the day); visits need one trade at level 1-2, one in
eight the certificate. Shifts are 8-9 h starting between 07:00 and 10:00, one in ten split
(morning and afternoon with a gap). Windows: all-day, half-day or 2-hour slots. Travel is
the shared geodesic model (``dispatch.geo.DetourTravelModel``: x1.3 detour at 30 km/h).

``--yards N`` is the depot-start variant: the same day, but every technician starts from
(and returns to) one of N company yards instead of their home, so hundreds of technicians
share a handful of start points.

``placed_pct`` counts visits placed among the *feasible* ones (those with at least one
technician qualified and on shift in their window); ``placed_pct_all`` among all visits.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from dispatch.bench.md_sections import add_doc_arguments, replace_section
from dispatch.plan_validator import check_plan
from dispatch.problem import (
    Certification,
    CustomerTier,
    GeoPoint,
    Plan,
    Priority,
    SkillRequirement,
    Technician,
    TimeWindow,
    Visit,
)
from dispatch.routing import PlannerConfig, greedy_plan, plan_day

DAY0 = 1_767_225_600  # 2026-01-01 00:00 UTC; the day runs 06:00-21:00
HOUR = 3600
CENTRE = GeoPoint(48.8566, 2.3522)
TRADES = ("hvac", "plumbing", "electrical", "appliance", "locksmith")


def _offset(centre: GeoPoint, dx_km: float, dy_km: float) -> GeoPoint:
    lat = centre.lat + dy_km / 111.32
    lng = centre.lng + dx_km / (111.32 * math.cos(math.radians(centre.lat)))
    return GeoPoint(round(lat, 6), round(lng, 6))


def metro_day(
    n_visits: int, n_techs: int, seed: int, yards: int = 0
) -> tuple[list[Technician], list[Visit], TimeWindow]:
    """The seeded day; with ``yards`` > 0 every technician starts from one of that many yards
    (the rest of the day is identical to the one without yards)."""
    rng = random.Random(seed)
    day = TimeWindow(DAY0 + 6 * HOUR, DAY0 + 21 * HOUR)
    hoods = [(rng.uniform(-15, 15), rng.uniform(-15, 15), rng.uniform(1.5, 4)) for _ in range(12)]

    def spot() -> GeoPoint:
        if rng.random() < 0.7:
            x, y, s = rng.choice(hoods)
            return _offset(CENTRE, max(-20, min(20, rng.gauss(x, s))), max(-20, min(20, rng.gauss(y, s))))
        return _offset(CENTRE, rng.uniform(-20, 20), rng.uniform(-20, 20))

    techs: list[Technician] = []
    for k in range(n_techs):
        trades = rng.sample(TRADES, rng.choice((1, 2, 2, 3)))
        skills = tuple((t, rng.choice((1, 2, 2, 3))) for t in trades)
        certs: tuple[Certification, ...] = ()
        if rng.random() < 0.4:
            expiry = day.start + 6 * HOUR if rng.random() < 0.1 else None
            certs = (Certification("gas_safe", expiry),)
        start = DAY0 + rng.choice((7, 7, 8, 8, 9, 10)) * HOUR
        length = rng.choice((8, 9)) * HOUR
        shifts: tuple[TimeWindow, ...]
        if rng.random() < 0.1:
            shifts = (
                TimeWindow(start, start + 4 * HOUR),
                TimeWindow(start + 5 * HOUR, start + length + HOUR),
            )
        else:
            shifts = (TimeWindow(start, start + length),)
        techs.append(
            Technician(id=f"t{k:04d}", home=spot(), skills=skills, certifications=certs, shifts=shifts)
        )

    visits: list[Visit] = []
    for i in range(n_visits):
        kind = rng.random()
        if kind < 0.3:
            window = TimeWindow(DAY0 + 7 * HOUR, DAY0 + 18 * HOUR)
        elif kind < 0.7:
            half = rng.choice((7, 12))
            window = TimeWindow(DAY0 + half * HOUR, DAY0 + (half + 5) * HOUR)
        else:
            slot = rng.randrange(7, 17)
            window = TimeWindow(DAY0 + slot * HOUR, DAY0 + (slot + 2) * HOUR)
        visits.append(
            Visit(
                id=f"v{i:05d}",
                location=spot(),
                duration_s=rng.choice((20, 30, 30, 45, 45, 60)) * 60,
                window=window,
                skills=(SkillRequirement(rng.choice(TRADES), rng.choice((1, 1, 2))),),
                certifications=("gas_safe",) if rng.random() < 0.125 else (),
                priority=rng.choices(list(Priority), weights=(5, 15, 60, 20))[0],
                tier=rng.choices(list(CustomerTier), weights=(70, 20, 10))[0],
            )
        )
    if yards > 0:
        yard_rng = random.Random(f"yards-{seed}")
        points = [_offset(CENTRE, yard_rng.uniform(-12, 12), yard_rng.uniform(-12, 12)) for _ in range(yards)]
        techs = [dataclasses.replace(t, home=points[k % yards]) for k, t in enumerate(techs)]
    return techs, visits, day


def _summary(
    plan: Plan, techs: list[Technician], visits: list[Visit], day: TimeWindow, travel: Any
) -> dict[str, Any]:
    check = check_plan(plan, techs, visits, day, travel)
    stats = dict(plan.stats)
    feasible = int(stats.get("candidate_visits", len(visits)))
    return {
        "placed": check.placed,
        "feasible_visits": feasible,
        "placed_pct": round(100 * check.placed / max(1, feasible), 2),
        "placed_pct_all": round(100 * check.placed / max(1, len(visits)), 2),
        "travel_km": round(check.travel_m / 1000, 1),
        "travel_hours": round(check.travel_s / 3600, 1),
        "technicians_used": sum(1 for r in plan.routes if r.stops),
        "violations": len(check.violations),
        "placeable_unassigned": len(check.placeable),
        "unplaced_weight": unplaced_weight(plan, visits),
        "violation_examples": [str(v) for v in check.violations[:5]],
        "stats": stats,
    }


def unplaced_weight(plan: Plan, visits: list[Visit]) -> float:
    """What the unplaced visits were worth, in P4 standard-tier visits: each counts its
    drop-penalty weight (priority factor x tier percent / 100), the measure both the planner
    and VROOM maximise before travel. Equal placed counts can hide different choices."""
    cfg = PlannerConfig()
    left = set(plan.unassigned)
    return sum(cfg.penalty(v) for v in visits if v.id in left) / cfg.drop_penalty


ENGINES = ("planner", "vroom", "greedy")


def _solve(
    engine: str,
    args: argparse.Namespace,
    techs: list[Technician],
    visits: list[Visit],
    day: TimeWindow,
    travel: Any,
) -> Plan:
    if engine == "greedy":
        return greedy_plan(techs, visits, day, travel)
    if engine == "vroom":
        from dispatch.bench.vroom_engine import vroom_plan

        limit, threads = args.time_limit, args.vroom_threads
        return vroom_plan(techs, visits, day, travel, time_limit_s=limit, threads=threads)
    config = PlannerConfig(engine=args.engine)
    return plan_day(techs, visits, day, travel, time_limit_s=args.time_limit, seed=args.seed, config=config)


def run(args: argparse.Namespace) -> int:
    from dispatch.geo import DetourTravelModel

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        raise SystemExit(f"unknown engines {unknown}; choose from {','.join(ENGINES)}")
    travel = DetourTravelModel()
    techs, visits, day = metro_day(args.visits, args.technicians, args.seed, args.yards)

    results: dict[str, dict[str, Any]] = {}
    for engine in engines:
        started = time.perf_counter()
        plan = _solve(engine, args, techs, visits, day, travel)
        seconds = time.perf_counter() - started
        summary = _summary(plan, techs, visits, day, travel)
        summary["seconds"] = round(seconds, 1)
        summary["solver"] = plan.solver
        results[engine] = summary
        print(
            f"{engine}: {summary['placed_pct']}% placed, {summary['travel_km']} km, {seconds:.1f}s, "
            f"{summary['violations']} violations",
            file=sys.stderr,
        )

    command = args.command_line or "python -m dispatch.bench metro " + " ".join(sys.argv[2:])
    out: dict[str, Any] = {
        "benchmark": "metro",
        "command": command,
        "visits": args.visits,
        "technicians": args.technicians,
        "yards": args.yards,
        "seed": args.seed,
        "time_limit_s": args.time_limit,
        "engines": engines,
    }
    p, g = results.get("planner"), results.get("greedy")
    if p is not None:
        out.update(
            engine=p["solver"],
            placed_pct=p["placed_pct"],
            placed_pct_all=p["placed_pct_all"],
            travel_km=p["travel_km"],
            seconds=p["seconds"],
            violations=p["violations"],
        )
    if g is not None:
        out.update(
            greedy_placed_pct=g["placed_pct"],
            greedy_travel_km=g["travel_km"],
            greedy_seconds=g["seconds"],
            greedy_violations=g["violations"],
        )
    if p is not None and g is not None:
        out["travel_ratio_vs_greedy"] = round(p["travel_km"] / max(1e-9, g["travel_km"]), 3)
    if p is not None and "vroom" in results:
        out["travel_ratio_vs_vroom"] = round(p["travel_km"] / max(1e-9, results["vroom"]["travel_km"]), 3)
    out.update(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    table = _markdown(out)
    print(table)
    if args.update_doc:
        replace_section(Path(args.doc), f"metro-{args.label}", table)
    failed = [e for e, r in results.items() if r["violations"] and e != "greedy"]
    for engine in failed:
        print(f"FAILED {engine} plan: {results[engine]['violation_examples']}", file=sys.stderr)
    return 1 if failed else 0


_LABELS = {
    "planner": "planner ({solver})",
    "vroom": "VROOM {version} ({threads} threads)",
    "greedy": "greedy first-come",
}


def _markdown(out: dict[str, Any]) -> str:
    lines = [
        f"### Metro day: {out['visits']} visits, {out['technicians']} technicians"
        + (f" starting from {out['yards']} yards" if out.get("yards") else "")
        + f", {out['time_limit_s']:g} s limit (seed {out['seed']})",
        "",
        "```",
        out["command"],
        "```",
        "",
        "| plan | placed | placed % of feasible | placed % of all | travel km | travel h | techs used "
        "| seconds | violations | unplaced but placeable | unplaced weight |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    feasible = None
    for engine in out.get("engines", ENGINES):
        r = out[engine]
        feasible = r["feasible_visits"]
        label = _LABELS[engine].format(
            solver=r["solver"], version=_vroom_version(), threads=int(r["stats"].get("threads", 0))
        )
        lines.append(
            f"| {label} | {r['placed']} | {r['placed_pct']} | {r['placed_pct_all']} "
            f"| {r['travel_km']} | {r['travel_hours']} | {r['technicians_used']} | {r['seconds']} "
            f"| {r['violations']} | {r.get('placeable_unassigned', '-')} | {r.get('unplaced_weight', '-')} |"
        )
    lines.append("")
    ratios = []
    if "travel_ratio_vs_vroom" in out:
        ratios.append(f"planner / VROOM: **{out['travel_ratio_vs_vroom']}**")
    if "travel_ratio_vs_greedy" in out:
        ratios.append(f"planner / greedy: **{out['travel_ratio_vs_greedy']}**")
    if ratios:
        lines.append(
            "Travel ratio " + "; ".join(ratios) + f"; feasible visits: {feasible} of {out['visits']}."
        )
    lines.append(
        "Unplaced weight: what the unplaced visits were worth, in P4 standard-tier visits "
        "(priority factor x tier percent / 100 each; lower is better)."
    )
    return "\n".join(lines)


def _vroom_version() -> str:
    try:
        from importlib.metadata import version

        return version("pyvroom")
    except Exception:  # only a label
        return ""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("metro", help="synthetic metro day: planner vs VROOM and first-come greedy")
    p.add_argument("--visits", type=int, default=2000)
    p.add_argument("--technicians", type=int, default=250)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--yards", type=int, default=0, help="depot-start variant: technicians start from N yards")
    p.add_argument("--engine", default="auto", help="the planner's engine (auto, ortools, pyvrp)")
    p.add_argument(
        "--engines",
        default="planner,greedy",
        help="comma-separated plans to compare, run one after the other: planner, vroom, greedy",
    )
    p.add_argument("--vroom-threads", type=int, default=2)
    p.add_argument("--out", required=True)
    add_doc_arguments(p)
    p.add_argument("--label", default="2000x250")
    p.add_argument("--command-line", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)
