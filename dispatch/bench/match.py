"""`python -m dispatch.bench match`: instant ranking and batch assignment on a synthetic city.

Measures, on one seeded city (`dispatch.bench.synthetic`):

* `rank_p50_ms` / `rank_p99_ms`: `rank_candidates` for one order against every
  technician (prebuilt pool, top 10 materialised), over all orders;
* `batch_seconds`: `assign_batch` for all orders at once (candidate search + scoring +
  min-cost flow + optimality certificate; the pool is built beforehand and timed apart);
* optimality: the flow's objective against CP-SAT on *every* feasible pair (no pruning)
  on a smaller, deliberately contended instance, plus the flow's own duality certificate
  on the full instance;
* validity: the independent validator on the whole batch and on sampled rankings.

Results go to `--out` (JSON) and, with `--update-doc`, to a section of `--doc` (default bench/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.assignment_validator import validate_assignment, validate_ranking
from dispatch.bench import synthetic
from dispatch.bench.md_sections import add_doc_arguments, replace_section
from dispatch.cpsat import solve_assignment_cpsat
from dispatch.flow import solve_assignment_flow
from dispatch.matching import (
    AssignmentProblem,
    BatchOptions,
    Outcome,
    assign_batch,
    candidate_arcs,
    rank_candidates,
)
from dispatch.pool import build_pool


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("match", help="instant ranking and batch assignment on a synthetic city")
    p.add_argument("--technicians", type=int, default=10_000)
    p.add_argument("--orders", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--capacity", type=int, default=1, help="visits per technician in the batch")
    p.add_argument("--check-technicians", type=int, default=300, help="size of the CP-SAT comparison")
    p.add_argument("--check-orders", type=int, default=300)
    p.add_argument("--validate-rankings", type=int, default=3, help="rankings re-checked (slow, scalar)")
    p.add_argument(
        "--side-time-limit", type=float, default=10.0, help="CP-SAT limit for the side-constraint run"
    )
    p.add_argument("--out", type=Path, default=Path("bench/results/match.json"))
    add_doc_arguments(p)
    p.set_defaults(func=run)


def _rank(pool: Any, orders: list[Any], techs: list[Any], n_validate: int) -> dict[str, Any]:
    for v in orders[:20]:  # warm-up: first-call import and allocation costs are not the metric
        rank_candidates(v, pool, synthetic.NOW)
    times, cpu, feasible, statuses = [], [], [], []
    for v in orders:
        t0, c0 = time.perf_counter(), time.thread_time()
        ranking = rank_candidates(v, pool, synthetic.NOW)
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.thread_time() - c0) * 1000.0)
        feasible.append(ranking.feasible_count)
        statuses.append(ranking.status)
    violations = []
    for v in orders[:n_validate]:
        ranking = rank_candidates(v, pool, synthetic.NOW)
        report = validate_ranking(ranking, techs, synthetic.NOW, ranking.candidate_set.model, ranking.weights)
        violations += list(report.violations)
    ms = np.array(times)
    cpu_ms = np.array(cpu)
    return {
        "rank_p50_ms": round(float(np.percentile(ms, 50)), 3),
        "rank_p90_ms": round(float(np.percentile(ms, 90)), 3),
        "rank_p99_ms": round(float(np.percentile(ms, 99)), 3),
        "rank_max_ms": round(float(ms.max()), 3),
        "rank_cpu_p50_ms": round(float(np.percentile(cpu_ms, 50)), 3),
        "rank_cpu_p99_ms": round(float(np.percentile(cpu_ms, 99)), 3),
        "rank_samples": len(times),
        "rank_mean_feasible": round(float(np.mean(feasible)), 1),
        "rank_needs_callback": sum(s is Outcome.NEEDS_CALLBACK for s in statuses),
        "rank_validated": min(n_validate, len(orders)),
        "rank_violations": violations,
    }


def _optimality_check(n_techs: int, n_orders: int, seed: int, capacity: int) -> dict[str, Any]:
    """Flow vs CP-SAT over every feasible pair of a contended instance."""
    techs = synthetic.technicians(n_techs, seed + 7)
    orders = synthetic.visits(n_orders, seed + 7)
    options = BatchOptions(capacity_per_technician=capacity)
    problem = AssignmentProblem(tuple(orders), tuple(techs), synthetic.NOW, options=options)
    pool = build_pool(techs)
    t0 = time.perf_counter()
    result = assign_batch(problem, pool)
    flow_s = time.perf_counter() - t0
    # Same arcs, no pruning at all: rebuild the complete arc lists the matcher starts from.
    cap = np.array([problem.capacity(t) for t in pool.technicians], dtype=np.int64)
    pen = np.array([problem.weights.unassigned_penalty(v) for v in orders], dtype=np.int64)
    arcs = candidate_arcs(problem, pool, cap, pen)
    t0 = time.perf_counter()
    flow_full = solve_assignment_flow(arcs.rows, arcs.cost, pen, cap, initial_k=10**9)
    flow_full_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cp = solve_assignment_cpsat(arcs.rows, arcs.cost, pen, cap, time_limit_s=300.0, seed=seed)
    cpsat_s = time.perf_counter() - t0
    return {
        "technicians": n_techs,
        "orders": n_orders,
        "feasible_pairs": int(sum(len(r) for r in arcs.rows)),
        "assigned": len(result.assigned),
        "flow_objective": result.objective,
        "flow_certified": result.optimal,
        "flow_seconds": round(flow_s, 3),
        "flow_all_pairs_objective": flow_full.objective,
        "flow_all_pairs_solve_seconds": round(flow_full_s, 4),
        "cpsat_objective": cp.objective,
        "cpsat_status": cp.status,
        "cpsat_solve_seconds": round(cpsat_s, 3),
        "optimal": cp.optimal and cp.objective == result.objective == flow_full.objective,
        "validator_violations": list(validate_assignment(problem, result).violations),
    }


def _side_constraints(base: AssignmentProblem, pool: Any, time_limit: float) -> dict[str, Any]:
    """The same batch, 3 visits per technician, work capped by shift time left before a
    2-hour horizon: binding, so it goes to CP-SAT (informative; no target)."""
    options = BatchOptions(
        capacity_per_technician=3,
        respect_shift_hours=True,
        horizon_end=synthetic.NOW + 2 * synthetic.HOUR,
        time_limit_s=time_limit,
    )
    problem = AssignmentProblem(base.visits, base.technicians, base.now, options=options)
    t0 = time.perf_counter()
    result = assign_batch(problem, pool)
    seconds = time.perf_counter() - t0
    stats = dict(result.stats)
    return {
        "options": "capacity 3, respect_shift_hours, horizon now+2h",
        "solver": result.solver,
        "seconds": round(seconds, 2),
        "cpsat_time_limit_s": time_limit,
        "objective": result.objective,
        "repair_objective": int(stats.get("repaired_objective", result.objective)),
        "optimal": result.optimal,
        "assigned": len(result.assigned),
        "validator_violations": list(validate_assignment(problem, result).violations),
    }


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    techs = synthetic.technicians(args.technicians, args.seed)
    orders = synthetic.visits(args.orders, args.seed)
    t0 = time.perf_counter()
    pool = build_pool(techs)
    pool_s = time.perf_counter() - t0

    out: dict[str, Any] = {
        "command": "python -m dispatch.bench " + shlex.join(sys.argv[1:]),
        "technicians": args.technicians,
        "orders": args.orders,
        "seed": args.seed,
        "capacity": args.capacity,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "ortools": version("ortools"),
            "numpy": np.__version__,
        },
        "pool_build_seconds": round(pool_s, 3),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    out.update(_rank(pool, orders, techs, args.validate_rankings))

    options = BatchOptions(capacity_per_technician=args.capacity)
    problem = AssignmentProblem(tuple(orders), tuple(techs), synthetic.NOW, options=options)
    t0, c0 = time.perf_counter(), time.thread_time()
    result = assign_batch(problem, pool)
    batch_s, batch_cpu = time.perf_counter() - t0, time.thread_time() - c0
    stats = dict(result.stats)
    report = validate_assignment(problem, result)
    # the same problem with nothing pruned: the certificate's claim, checked directly
    cap = np.array([problem.capacity(t) for t in pool.technicians], dtype=np.int64)
    pen = np.array([problem.weights.unassigned_penalty(v) for v in orders], dtype=np.int64)
    arcs = candidate_arcs(problem, pool, cap, pen)
    every_pair = solve_assignment_flow(arcs.rows, arcs.cost, pen, cap, initial_k=10**9)
    out.update(
        {
            "batch_seconds": round(batch_s, 3),
            "batch_cpu_seconds": round(batch_cpu, 3),
            "batch_prepare_seconds": round(stats["prepare_s"], 3),
            "batch_solve_seconds": round(stats["solve_s"], 3),
            "batch_arcs": int(stats["arcs"]),
            "batch_certificate_rounds": int(stats["rounds"]),
            "batch_optimal": result.optimal,
            "batch_all_pairs_arcs": int(sum(len(r) for r in arcs.rows)),
            "batch_all_pairs_objective": every_pair.objective,
            "batch_objective": result.objective,
            "assigned": len(result.assigned),
            "needs_callback": sum(o.status is Outcome.NEEDS_CALLBACK for o in result.outcomes),
            "no_qualified_technician": sum(
                o.status is Outcome.NO_QUALIFIED_TECHNICIAN for o in result.outcomes
            ),
            "validator_violations": list(report.violations),
        }
    )
    out["side_constraints"] = _side_constraints(problem, pool, args.side_time_limit)
    out["optimality_check"] = _optimality_check(
        args.check_technicians, args.check_orders, args.seed, args.capacity
    )
    out["targets"] = {"rank_p99_ms": 10.0, "batch_seconds": 2.0}
    out["met"] = {
        "rank_p99_ms": out["rank_p99_ms"] <= 10.0,
        "batch_seconds": batch_s <= 2.0,
        "batch_optimal": result.optimal
        and result.objective == every_pair.objective
        and out["optimality_check"]["optimal"],
        "valid": not report.violations
        and not out["rank_violations"]
        and not out["optimality_check"]["validator_violations"]
        and not out["side_constraints"]["validator_violations"],
    }
    out["bench_seconds"] = round(time.perf_counter() - started, 1)
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    if args.update_doc:
        replace_section(Path(args.doc), "match", _markdown(out))
    print(_markdown(out))
    return 0 if all(out["met"].values()) else 1


def _markdown(r: dict[str, Any]) -> str:
    c = r["optimality_check"]
    sc = r["side_constraints"]
    m = r["machine"]
    met = r["met"]
    ok = "met" if all(met.values()) else "NOT met: " + ", ".join(k for k, v in met.items() if not v)
    violations = len(r["validator_violations"]) + len(r["rank_violations"])
    verdict = "equal" if c["optimal"] else "DIFFERENT"
    rank_wall = f"{r['rank_p50_ms']} / {r['rank_p90_ms']} / {r['rank_p99_ms']} / {r['rank_max_ms']} ms"
    lines = [
        "## Matching: instant ranking and batch assignment",
        "",
        "```",
        r["command"],
        "```",
        "",
        f"Synthetic city (`dispatch/bench/synthetic.py`, seed {r['seed']}): "
        f"{r['technicians']:,} technicians,",
        f"{r['orders']:,} orders, capacity {r['capacity']} per technician. Machine: {m['cpus']} CPUs,",
        f"Python {m['python']}, OR-Tools {m['ortools']}; load average {r['load_average_at_start']} at start",
        "(the machine is shared: wall-clock tails include time descheduled; CPU time does not).",
        f"Targets (rank p99 <= 10 ms, batch <= 2 s and optimal): **{ok}**.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| rank one order vs all technicians, wall p50 / p90 / p99 / max | {rank_wall} |",
        f"| rank, thread CPU p50 / p99 | {r['rank_cpu_p50_ms']} / {r['rank_cpu_p99_ms']} ms |",
        f"| feasible technicians per order (mean) | {r['rank_mean_feasible']} |",
        f"| batch {r['orders']:,} x {r['technicians']:,}, wall (CPU) | {r['batch_seconds']} s "
        f"({r['batch_cpu_seconds']} s) |",
        f"| of which candidates + scoring / flow + certificate | {r['batch_prepare_seconds']} s / "
        f"{r['batch_solve_seconds']} s |",
        f"| arcs in final flow / certificate rounds | {r['batch_arcs']:,} / "
        f"{r['batch_certificate_rounds']} |",
        f"| batch proved optimal (LP duality certificate) | {r['batch_optimal']} |",
        f"| objective: pruned + certificate / flow on all {r['batch_all_pairs_arcs']:,} feasible pairs | "
        f"{r['batch_objective']} / {r['batch_all_pairs_objective']} |",
        f"| assigned / needs_callback / no_qualified_technician | {r['assigned']} / {r['needs_callback']} / "
        f"{r['no_qualified_technician']} |",
        f"| validator violations (batch + {r['rank_validated']} rankings) | {violations} |",
        f"| pool index build (once per region) | {r['pool_build_seconds']} s |",
        f"| side constraints ({sc['options']}) | {sc['solver']}, {sc['seconds']} s, objective "
        f"{sc['objective']} (warm start {sc['repair_objective']}), proved optimal {sc['optimal']}, "
        f"{sc['assigned']} assigned |",
        "",
        f"Optimality cross-check on a contended instance ({c['technicians']} technicians, "
        f"{c['orders']} orders,",
        f"{c['feasible_pairs']:,} feasible pairs, {c['assigned']} assigned): matcher objective "
        f"{c['flow_objective']} (certified {c['flow_certified']}, {c['flow_seconds']} s end to end);",
        f"flow on every pair {c['flow_all_pairs_objective']} ({c['flow_all_pairs_solve_seconds']} s solve);",
        f"CP-SAT on every pair {c['cpsat_objective']} ({c['cpsat_status']}, "
        f"{c['cpsat_solve_seconds']} s solve): **{verdict}**.",
        "",
        "Side constraints (shift hours, fairness cap) go to CP-SAT only when the flow optimum breaks",
        "them. The warm start comes from re-solving the flow with shrinking capacities; at full size",
        "CP-SAT (one worker, deterministic) improves it until its time limit, without an optimality",
        "proof. Small instances are solved to proven optimum (unit tests compare with brute force).",
    ]
    return "\n".join(lines) + "\n"
