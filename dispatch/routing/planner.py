"""The day planner's public entry point: problem in, :class:`dispatch.problem.Plan` out."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from dispatch.problem import Plan, Technician, TimeWindow, Visit
from dispatch.routing.data import PlannerConfig, RoutingData, build_routing_data
from dispatch.routing.decompose import solve_by_regions
from dispatch.routing.greedy import greedy_sequences
from dispatch.routing.improve import Kick, objective, solve_large_day
from dispatch.routing.leftovers import place_leftovers
from dispatch.routing.ortools_engine import solve_ortools
from dispatch.routing.pyvrp_engine import solve_pyvrp, unsupported_reason
from dispatch.routing.schedule import repair, to_plan
from dispatch.routing.travel import TravelSource
from dispatch.routing.vroom_engine import vroom_sequences


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
    if cfg.construct not in ("vroom", "regret"):
        raise ValueError(f"unknown construct {cfg.construct!r}")
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
            engine = "ortools-lns"
            start_stats: dict[str, float] = {}
            kick = None
            if initial is None and cfg.construct == "vroom":
                initial, start_stats = _vroom_start(data, cfg, deadline - reserve)
                # Kicks only where VROOM's search fits the budget: on days too big for a VROOM
                # start they cost more time than they save (2,000 x 250 metro day).
                if initial is not None:
                    engine = "vroom+ortools-lns"
                    if cfg.vroom_kicks:
                        # a kick starts from a good plan: one level less exploration than
                        # the start (1,000 x 120 in 30 s: 0.968x VROOM's travel, not 0.988x)
                        level = max(0, int(start_stats["vroom_exploration"]) - 1)
                        kick = _vroom_kick(data, cfg, level)
            sequences, stats = solve_large_day(data, cfg, deadline - reserve, cfg.seed, initial, kick)
            stats.update(start_stats)
            small = cfg.polish_up_to_visits is not None and data.n_visits <= cfg.polish_up_to_visits
            small = small and not cfg.bounded_by_work
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


# Seconds VROOM's search takes on a 300-visit metro day with 2 threads on the reference
# machine (bench/BENCHMARKS.md), by exploration level 0..5; it grows about as visits^2.6.
VROOM_SECONDS_AT_300 = (0.2, 0.6, 1.1, 2.1, 4.4, 8.4)
VROOM_GROWTH = 2.6
# Above this many visits the start is level 0 whatever the budget: the time a higher level
# would take is worth more as neighbourhood rounds and kicks (1,000 x 120 in 30 s: 3,522 km
# from a level-0 start, 3,572 km from level 1).
VROOM_LEVEL_0_ABOVE = 600
# Above this many visits the start is regret insertion whatever the budget: VROOM's level 0
# alone takes 27.6 s at 2,000 x 250 here, and a VROOM start on days that big (with a minute
# or more to plan) has not been measured against the regret start.
VROOM_START_UP_TO = 1_200


def vroom_level(n_visits: int, seconds: float) -> int | None:
    """The highest exploration level VROOM is expected to finish within ``seconds``, or
    None when even level 0 would not or the day is too big for a VROOM start (the regret
    construction is then the better start)."""
    if n_visits > VROOM_START_UP_TO:
        return None
    scale = (max(n_visits, 1) / 300) ** VROOM_GROWTH
    # a fifth in hand: a search cut short by its timeout is worse than a lower level's
    fitting = [lv for lv, t in enumerate(VROOM_SECONDS_AT_300) if t * scale <= 0.8 * seconds]
    if not fitting:
        return None
    return 0 if n_visits > VROOM_LEVEL_0_ABOVE else fitting[-1]


def _vroom_start(
    data: RoutingData, cfg: PlannerConfig, deadline: float
) -> tuple[list[list[int]] | None, dict[str, float]]:
    """VROOM's plan as the large day's start (reproducible when the search is bounded by
    work: VROOM then runs to its end)."""
    budget = cfg.vroom_share * (deadline - time.perf_counter())
    level = cfg.vroom_exploration
    if level is None:
        level = vroom_level(data.n_visits, budget)
    if level is None or budget <= 0 or not data.vehicles:
        return None, {}
    started = time.perf_counter()
    routes, dropped = _vroom_routes(data, cfg, level, None if cfg.bounded_by_work else budget)
    return routes, {
        "vroom_seconds": round(time.perf_counter() - started, 3),
        "vroom_exploration": float(level),
        "vroom_placed": float(sum(len(seq) for seq in routes)),
        "vroom_repaired": float(dropped),
    }


def _vroom_kick(data: RoutingData, cfg: PlannerConfig, level: int) -> Kick:
    """VROOM's search started from the given routes, for at most the given seconds."""

    def kick(routes: list[list[int]], seconds: float) -> list[list[int]]:
        return _vroom_routes(data, cfg, level, seconds, initial=routes)[0]

    return kick


def _vroom_routes(
    data: RoutingData,
    cfg: PlannerConfig,
    level: int,
    seconds: float | None,
    initial: list[list[int]] | None = None,
) -> tuple[list[list[int]], int]:
    """VROOM's routes, each re-timed by the planner's own schedule (a route the planner
    cannot time keeps the visits it can), and how many visits that dropped."""
    found = vroom_sequences(data, dataclasses.replace(cfg, vroom_exploration=level), seconds, initial)
    repaired = [repair(data, k, seq) for k, seq in enumerate(found)]
    return [kept for kept, _ in repaired], sum(len(dropped) for _, dropped in repaired)


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
