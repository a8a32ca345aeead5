"""The day planner's public entry point: problem in, :class:`dispatch.problem.Plan` out."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from dispatch.problem import Plan, Technician, TimeWindow, Visit
from dispatch.routing.data import PlannerConfig, RoutingData, build_routing_data
from dispatch.routing.decompose import solve_by_regions
from dispatch.routing.greedy import greedy_sequences
from dispatch.routing.improve import objective, solve_large_day
from dispatch.routing.leftovers import place_leftovers
from dispatch.routing.ortools_engine import solve_ortools
from dispatch.routing.pyvrp_engine import solve_pyvrp, unsupported_reason
from dispatch.routing.schedule import repair, to_plan
from dispatch.routing.travel import TravelSource


def plan_day(
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: TravelSource,
    *,
    time_limit_s: float,
    seed: int = 0,
    now: int | None = None,
    previous: Plan | None = None,
    config: PlannerConfig | None = None,
) -> Plan:
    """Plan one day of visits over the technicians' shifts (VRPTW).

    ``day`` bounds the planning horizon (shifts and windows are clipped to it). ``travel``
    gives travel seconds/metres between points (see :mod:`dispatch.routing.travel`).
    ``now`` (re-planning during the day) starts routes at each technician's last known
    position no earlier than ``now`` and ignores windows already past. ``previous`` warm
    starts the search from an earlier plan: its routes, minus visits that no longer exist or
    no longer fit, are the initial solution; pinned visits stay with their technician either
    way. ``time_limit_s`` and ``seed`` override the ones in ``config``.

    The returned plan has one route per usable technician (possibly empty), ``unassigned``
    lists every visit not placed (dropped by the solver or impossible to place; with
    ``config.widen_unplaced``, the default, no technician's route could take any of them), and
    ``objective`` is travel cost plus drop penalties. ``stats`` carries the engine, solve
    details and ``repaired_visits`` (always 0 unless an engine misbehaves).
    """
    # The time limit covers the whole call: what building the data takes (travel matrices
    # for thousands of points) comes off the search budget. A monotonic timer, not a clock.
    started = time.perf_counter()
    cfg = dataclasses.replace(config or PlannerConfig(), time_limit_s=time_limit_s, seed=seed)
    if cfg.large_day not in ("lns", "regions"):
        raise ValueError(f"unknown large_day strategy {cfg.large_day!r}")
    data = build_routing_data(technicians, visits, day, travel, cfg, now=now)
    initial = _warm_start(data, previous) if previous is not None else None
    engine = choose_engine(data, cfg)
    build_s = time.perf_counter() - started
    deadline = started + cfg.time_limit_s
    if engine == "pyvrp":
        sequences, stats = solve_pyvrp(data, cfg, deadline, cfg.seed, initial)
    else:
        big = cfg.greedy_start_from_visits is not None and data.n_visits >= cfg.greedy_start_from_visits
        if initial is None and big:
            initial = greedy_sequences(data)
        split = cfg.decompose_above_visits is not None and data.n_visits > cfg.decompose_above_visits
        if split and cfg.large_day == "lns":
            # Leave time to turn sequences into a timed plan and for the last subproblem's
            # overrun, so the whole call stays inside the limit.
            reserve = min(0.5, 0.02 * cfg.time_limit_s)
            sequences, stats = solve_large_day(data, cfg, deadline - reserve, cfg.seed, initial)
            engine = "ortools-lns"
            small = cfg.polish_up_to_visits is not None and data.n_visits <= cfg.polish_up_to_visits
            # a search bounded by work (a reproducible plan) is not followed by one bounded by time
            bounded = cfg.lns_max_subproblems is not None or cfg.iteration_limit is not None
            small = small and not bounded
            if small and deadline - reserve - time.perf_counter() > 0.5:
                sequences, polish = _polish(data, cfg, deadline - reserve, sequences)
                stats.update(polish)
        elif split and cfg.large_day == "regions" and initial is None:
            sequences, stats = solve_by_regions(data, cfg, deadline, cfg.seed, cfg.region_visits)
            engine = "ortools-regions"
        else:
            sequences, stats = solve_ortools(data, cfg, deadline, cfg.seed, initial)
    if cfg.widen_unplaced:
        sequences, leftover_stats = place_leftovers(data, sequences)
        stats.update(leftover_stats)
    stats["build_seconds"] = round(build_s, 3)
    return to_plan(data, sequences, engine, stats)


def _polish(
    data: RoutingData, cfg: PlannerConfig, deadline: float, sequences: list[list[int]]
) -> tuple[list[list[int]], dict[str, float]]:
    """Whole-model guided local search from ``sequences`` until ``deadline``; kept only when
    it lowers the objective (travel plus drop penalties)."""
    started = time.perf_counter()
    polished, _ = solve_ortools(data, cfg, deadline, cfg.seed, sequences)
    before, after = objective(data, sequences), objective(data, polished)
    stats = {
        "polish_seconds": round(time.perf_counter() - started, 3),
        "polish_improved": float(after < before),
    }
    return (polished, stats) if after < before else (sequences, stats)


def choose_engine(data: RoutingData, config: PlannerConfig) -> str:
    if config.engine in ("ortools", "pyvrp"):
        if config.engine == "pyvrp":
            reason = unsupported_reason(data, config, strict=True)
            if reason is not None:
                raise ValueError(f"PyVRP cannot express this problem: {reason}")
        return config.engine
    if config.engine != "auto":
        raise ValueError(f"unknown engine {config.engine!r}")
    return "pyvrp" if unsupported_reason(data, config) is None else "ortools"


def _warm_start(data: RoutingData, previous: Plan) -> list[list[int]]:
    index = {v.id: i for i, v in enumerate(data.visits)}
    vehicle = {v.tech.id: k for k, v in enumerate(data.vehicles)}
    routes: list[list[int]] = [[] for _ in data.vehicles]
    seen: set[int] = set()
    for route in previous.routes:
        k = vehicle.get(route.technician_id)
        if k is None:
            continue
        seq = []
        for stop in route.stops:
            i = index.get(stop.visit_id)
            if i is None or i in seen:
                continue
            seen.add(i)
            seq.append(i)
        routes[k], _ = repair(data, k, seq)
    return routes
