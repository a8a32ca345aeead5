"""`python -m dispatch.bench solomon`: the day planner on Solomon VRPTW instances.

Each ``*.txt`` in ``--instances`` is solved as a distance-only VRPTW (DIMACS convention:
every arc ``floor(10 * d) / 10`` for time and distance; vehicles free up to the fleet size)
by up to three solvers in the same run:

* ``ortools``  - :func:`dispatch.routing.plan_day` forced to the OR-Tools engine;
* ``planner``  - :func:`dispatch.routing.plan_day` with ``engine="auto"`` (what Fieldhand uses);
* ``pyvrp``    - PyVRP on its own reading of the file (``pyvrp.read``), the reference.

Every solution is re-costed and checked here from the raw instance (capacity, windows,
horizon, each customer once) independently of the planner, and the served customers are
counted. The planner's plans also go through :mod:`dispatch.plan_validator`, which reports
any unserved customer that some vehicle's route could still have taken. Solomon
coordinates are put in ``GeoPoint(lat=x, lng=y)`` and travel is the scaled Euclidean
provider (x10, truncated). Any folder of instances in this format works (e.g.
``bench/data/solomon``, ``bench/data/homberger``). The exit status is 1 when a planner
solution (``ortools`` or ``planner``) is infeasible, leaves a customer unserved, or fails
the validator. ``bench/BENCHMARKS.md`` is only rewritten with ``--update-doc``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.bench.md_sections import add_doc_arguments, replace_section
from dispatch.plan_validator import check_plan
from dispatch.problem import GeoPoint, Technician, TimeWindow, Visit
from dispatch.routing import PlannerConfig, euclidean_provider, plan_day

SCALE = 10


@dataclass(frozen=True)
class Node:
    id: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    name: str
    fleet: int
    capacity: int
    nodes: tuple[Node, ...]  # nodes[0] = depot


def read_instance(path: Path) -> Instance:
    lines = [ln.split() for ln in path.read_text().splitlines()]
    name = next(ln for ln in lines if ln)[0]
    fleet = capacity = None
    nodes: list[Node] = []
    for i, parts in enumerate(lines):
        if parts and parts[0].upper() == "NUMBER":
            nxt = next(p for p in lines[i + 1 :] if p)
            fleet, capacity = int(nxt[0]), int(nxt[1])
        if len(parts) == 7 and all(_is_number(p) for p in parts):
            v = [float(p) for p in parts]
            nodes.append(Node(int(v[0]), v[1], v[2], int(v[3]), int(v[4]), int(v[5]), int(v[6])))
    if fleet is None or capacity is None or not nodes or nodes[0].id != 0:
        raise ValueError(f"{path}: not a Solomon instance")
    return Instance(name, fleet, capacity, tuple(nodes))


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def to_problem(inst: Instance) -> tuple[list[Technician], list[Visit], TimeWindow]:
    depot = inst.nodes[0]
    home = GeoPoint(depot.x, depot.y)
    shift = TimeWindow(depot.ready * SCALE, depot.due * SCALE)
    techs = [
        Technician(id=f"v{k}", home=home, shifts=(shift,), capacity=inst.capacity) for k in range(inst.fleet)
    ]
    visits = [
        Visit(
            id=str(n.id),
            location=GeoPoint(n.x, n.y),
            duration_s=n.service * SCALE,
            window=TimeWindow(n.ready * SCALE, n.due * SCALE + 1),  # due date is inclusive
            demand=n.demand,
        )
        for n in inst.nodes[1:]
    ]
    return techs, visits, shift


def arc(a: Node, b: Node, exact: bool) -> float:
    d = math.hypot(a.x - b.x, a.y - b.y)
    return d if exact else math.floor(10 * d + 1e-9) / 10


def check(inst: Instance, routes: list[list[int]], exact: bool = False) -> tuple[float, list[str]]:
    """DIMACS distance (or exact when ``exact``) and feasibility problems of ``routes``."""
    by_id = {n.id: n for n in inst.nodes}
    depot = inst.nodes[0]
    problems: list[str] = []
    seen: list[int] = [c for r in routes for c in r]
    if sorted(seen) != [n.id for n in inst.nodes[1:]]:
        problems.append("customers not visited exactly once")
    if len([r for r in routes if r]) > inst.fleet:
        problems.append("too many vehicles")
    total = 0.0
    for r in routes:
        t = 0.0
        load = 0
        here = depot
        for c in r:
            node = by_id[c]
            travel = arc(here, node, exact)
            total += travel
            t = max(t + travel, node.ready)
            if t > node.due + 1e-9:
                problems.append(f"late at {c}")
            t += node.service
            load += node.demand
            here = node
        travel = arc(here, depot, exact)
        total += travel
        if r and t + travel > depot.due + 1e-9:
            problems.append("late back at depot")
        if load > inst.capacity:
            problems.append("over capacity")
    return round(total, 4), problems


def _read_bks(folder: Path) -> dict[str, float]:
    path = folder / "bks_distance_only.csv"
    if not path.exists():
        return {}
    out: dict[str, float] = {}
    for line in path.read_text().splitlines()[1:]:
        parts = line.split(",")
        if len(parts) >= 3:
            out[parts[0].strip().upper()] = float(parts[2])
    return out


@dataclass(frozen=True)
class PlannerRun:
    routes: list[list[int]]
    seconds: float
    solver: str  # the engine plan_day chose
    violations: list[str]  # plan validator findings, placeable unserved customers included


def solve_planner(inst: Instance, time_limit: float, seed: int, engine: str) -> PlannerRun:
    techs, visits, day = to_problem(inst)
    travel = euclidean_provider(scale=SCALE)
    started = time.perf_counter()
    plan = plan_day(
        techs,
        visits,
        day,
        travel,
        time_limit_s=time_limit,
        seed=seed,
        config=PlannerConfig(engine=engine),
    )
    seconds = time.perf_counter() - started
    routes = [[int(s.visit_id) for s in r.stops] for r in plan.routes if r.stops]
    violations = [str(v) for v in check_plan(plan, techs, visits, day, travel).violations]
    return PlannerRun(routes, seconds, plan.solver, violations)


def solve_pyvrp_reference(inst: Instance, time_limit: float, seed: int) -> tuple[list[list[int]], float]:
    """PyVRP straight from the raw instance (its own model, not the planner's mapping)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    model = pyvrp.Model()
    depot_node = inst.nodes[0]
    depot = model.add_depot(
        model.add_location(depot_node.x, depot_node.y), tw_early=0, tw_late=depot_node.due * SCALE
    )
    model.add_vehicle_type(
        num_available=inst.fleet,
        capacity=inst.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=depot_node.ready * SCALE,
        tw_late=depot_node.due * SCALE,
    )
    locs = [model.locations[0]]  # the depot's
    for n in inst.nodes[1:]:
        loc = model.add_location(n.x, n.y)
        locs.append(loc)
        model.add_client(
            loc,
            delivery=n.demand,
            service_duration=n.service * SCALE,
            tw_early=n.ready * SCALE,
            tw_late=n.due * SCALE,
            name=str(n.id),
        )
    for a, la in zip(inst.nodes, locs, strict=True):
        for b, lb in zip(inst.nodes, locs, strict=True):
            if a.id != b.id:
                d = math.floor(SCALE * math.hypot(a.x - b.x, a.y - b.y) + 1e-9)
                model.add_edge(la, lb, distance=d, duration=d)
    result = model.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    seconds = time.perf_counter() - started
    # Clients were added in file order, so client index c is customer number c + 1.
    routes = [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in result.best.routes()]
    return routes, seconds


def _entry(inst: Instance, routes: list[list[int]], seconds: float, bks: dict[str, float]) -> dict[str, Any]:
    distance, problems = check(inst, routes)
    exact_distance, exact_problems = check(inst, routes, exact=True)
    entry: dict[str, Any] = {
        "instance": inst.name,
        "customers": len(inst.nodes) - 1,
        "served": len({c for r in routes for c in r}),
        "vehicles": len([r for r in routes if r]),
        "distance": distance,
        "exact_distance": exact_distance,
        "feasible": not problems,
        "feasible_exact_euclidean": not exact_problems,
        "problems": problems,
        "seconds": round(seconds, 2),
        "routes": [r for r in routes if r],
    }
    if inst.name.upper() in bks:
        entry["bks_distance"] = bks[inst.name.upper()]
        entry["gap_pct"] = round(100 * (distance - entry["bks_distance"]) / entry["bks_distance"], 3)
    return entry


def run(args: argparse.Namespace) -> int:
    folder = Path(args.instances)
    files = sorted(folder.glob("*.txt"))
    if not files:
        print(f"no *.txt instances in {folder}", file=sys.stderr)
        return 2
    bks = _read_bks(folder)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    results: list[dict[str, Any]] = []
    for path in files:
        inst = read_instance(path)
        record: dict[str, Any] = {}
        for engine in engines:
            if engine == "pyvrp":
                routes, secs = solve_pyvrp_reference(inst, args.time_limit, args.seed)
                entry = _entry(inst, routes, secs, bks)
                entry["solver"] = "pyvrp"
            else:
                run_ = solve_planner(
                    inst, args.time_limit, args.seed, "auto" if engine == "planner" else engine
                )
                entry = _entry(inst, run_.routes, run_.seconds, bks)
                entry["solver"] = run_.solver
                entry["validator_violations"] = run_.violations
                entry["ok"] = entry["feasible"] and not run_.violations
            entry["engine"] = engine
            record[engine] = entry
            print(
                f"{inst.name:8} {engine:8} ({entry['solver']}) veh={entry['vehicles']:3} "
                f"served={entry['served']}/{entry['customers']} dist={entry['distance']:9.1f} "
                f"gap={entry.get('gap_pct', float('nan')):6.2f}% t={entry['seconds']:5.1f}s "
                f"feasible={entry['feasible']} validator={len(entry.get('validator_violations', []))}",
                file=sys.stderr,
            )
        primary = dict(record[engines[0]])
        primary["by_engine"] = {e: {k: v for k, v in r.items() if k != "instance"} for e, r in record.items()}
        results.append(primary)

    summary: dict[str, Any] = {}
    for engine in engines:
        gaps = [r["by_engine"][engine].get("gap_pct") for r in results]
        gaps_f = [g for g in gaps if g is not None]
        summary[engine] = {
            "mean_gap_pct": round(statistics.fmean(gaps_f), 3) if gaps_f else None,
            "median_gap_pct": round(statistics.median(gaps_f), 3) if gaps_f else None,
            "max_gap_pct": round(max(gaps_f), 3) if gaps_f else None,
            "served": sum(r["by_engine"][engine]["served"] for r in results),
            "customers": sum(r["by_engine"][engine]["customers"] for r in results),
            "all_feasible": all(r["by_engine"][engine]["feasible"] for r in results),
        }
    command = (
        "python -m dispatch.bench solomon " + " ".join(sys.argv[2:])
        if args.command_line is None
        else args.command_line
    )
    out = {
        "benchmark": "solomon",
        "command": command,
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "engines": engines,
        "summary": summary,
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")

    table = _markdown(out, folder)
    print(table)
    for engine, s in summary.items():
        print(
            f"{engine}: served {s['served']}/{s['customers']}, mean gap {s['mean_gap_pct']}%, "
            f"median {s['median_gap_pct']}%, max {s['max_gap_pct']}%, feasible: {s['all_feasible']}"
        )
    if args.update_doc:
        replace_section(Path(args.doc), f"solomon-{args.label}", table)
    failed = [
        f"{r['instance']}/{e}: {x['problems'][:3]} {x['validator_violations'][:3]}"
        for r in results
        for e, x in r["by_engine"].items()
        if "ok" in x and not x["ok"]
    ]
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


def _markdown(out: dict[str, Any], folder: Path) -> str:
    engines = out["engines"]
    lines = [
        f"### VRPTW instances in `{folder}`, {out['time_limit_s']:g} s per instance per engine "
        f"(seed {out['seed']})",
        "",
        "```",
        out["command"],
        "```",
        "",
        "All engines of a row ran in the same run, one after the other. `planner ran` = the engine "
        "`plan_day` chose; served = customers served of all.",
        "",
        "| instance | BKS | planner ran | "
        + " | ".join(f"{e} veh / served / dist / gap % / s" for e in engines)
        + " |",
        "| --- | ---: | --- | " + " | ".join("---:" for _ in engines) + " |",
    ]
    for r in out["results"]:
        cells = []
        for e in engines:
            x = r["by_engine"][e]
            ok = "" if x["feasible"] else " INFEASIBLE"
            if x.get("validator_violations"):
                ok += f" {len(x['validator_violations'])} VALIDATOR"
            cells.append(
                f"{x['vehicles']} / {x['served']} / {x['distance']:.1f} / "
                f"{x.get('gap_pct', float('nan')):.2f} / {x['seconds']:.1f}{ok}"
            )
        ran = ", ".join(sorted({x["solver"] for e, x in r["by_engine"].items() if e != "pyvrp"})) or "-"
        lines.append(f"| {r['instance']} | {r.get('bks_distance', '')} | {ran} | " + " | ".join(cells) + " |")
    s = out["summary"]
    lines.append(
        "| **served; mean / median / max gap** | | | "
        + " | ".join(
            f"**{s[e]['served']}/{s[e]['customers']}; {s[e]['mean_gap_pct']} / {s[e]['median_gap_pct']} "
            f"/ {s[e]['max_gap_pct']}**"
            for e in engines
        )
        + " |"
    )
    return "\n".join(lines)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("solomon", help="day planner on Solomon VRPTW instances vs BKS and PyVRP")
    p.add_argument("--instances", required=True, help="folder of Solomon *.txt (+ bks_distance_only.csv)")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance per engine")
    p.add_argument("--out", required=True, help="JSON results file")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--engines",
        default="ortools,planner,pyvrp",
        help="comma list of: ortools (planner forced to OR-Tools), planner (engine=auto), pyvrp (reference)",
    )
    add_doc_arguments(p)
    p.add_argument("--label", default="10s", help="section label in the markdown file")
    p.add_argument("--command-line", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)
