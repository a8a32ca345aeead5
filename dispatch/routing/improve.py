"""Improving a complete day plan by decomposition (POPMUSIC-style large neighbourhood search).

A 2,000-visit x 250-technician day is far too big for one OR-Tools model to search in a
minute, but a handful of neighbouring routes is tiny and OR-Tools' guided local search
improves it within a fraction of a second. So, starting from a *global* feasible plan
(every visit could go to any qualified technician, so coverage is never worse than that
start):

1. take a seed route; its neighbourhood is the ``routes`` routes (the seed included) whose
   stops lie closest to the seed route's stops and start point, measured with the planner's
   own cost matrix (so any travel model works), idle technicians included;
2. the subproblem is those technicians, the visits they currently do and every unplaced
   visit one of them may take; it is solved by OR-Tools warm-started from the current routes
   for a short time (or a fixed number of solutions);
3. the new routes replace the old ones only when the subproblem's objective (travel cost
   plus drop penalties) strictly decreases and every new route passes the schedule's
   feasibility check, so a step can neither unplace a visit (the drop penalties dwarf any
   travel saving) nor break a plan;
4. improved routes go back into the queue of seeds; a seed whose neighbourhood did not
   improve leaves it. When the queue is empty, a time-bounded search runs an optional
   ``kick`` (another solver's search from the current routes, kept only when it lowers the
   objective) and queues the routes it changed, or, when it found nothing, every route
   with twice the subproblem time (``lns_escalations``). The search ends at the deadline,
   after ``max_subproblems`` subproblems, or when nothing is left to try.

Determinism: the seed order comes from ``seed``; with a per-subproblem solution limit
(``lns_solution_limit``, or else ``iteration_limit``; it replaces the per-subproblem time by
a generous guard) reached
before that guard, and ``lns_max_subproblems`` reached before the deadline, the result is the
same on every run. ``lns_metaheuristic="GREEDY_DESCENT"`` makes every subproblem search end at
its own local optimum, which is reproducible whatever the machine load. With ``lns_workers`` > 1,
that many neighbourhoods with disjoint technicians and visits are solved at the same time in
worker processes; they are chosen and applied in a fixed order, so the result depends on the
worker count but not on timing. (Measured on the 2-core metro bench: no gain over one
worker, see bench/BENCHMARKS.md, so the default is 1.)
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing as mp
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from dispatch.routing.construct import regret_insertion
from dispatch.routing.data import PlannerConfig, RoutingData
from dispatch.routing.decompose import subproblem
from dispatch.routing.greedy import greedy_sequences
from dispatch.routing.leftovers import place_leftovers
from dispatch.routing.ortools_engine import solve_ortools
from dispatch.routing.schedule import time_sequence


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    vehicles: tuple[int, ...]  # sorted vehicle indices
    visits: tuple[int, ...]  # their current visits then the unplaced ones they may take


@dataclass(slots=True)
class _Counters:
    subproblems: int = 0
    improved: int = 0
    rejected_infeasible: int = 0
    search_seconds: float = 0.0


def route_cost(data: RoutingData, vehicle: int, seq: list[int]) -> int:
    """Travel cost of the route plus its fairness surcharge."""
    if not seq:
        return 0
    veh = data.vehicles[vehicle]
    path = [veh.start_node, *seq, veh.end_node]
    return int(sum(int(data.cost[a, b]) for a, b in itertools.pairwise(path))) + data.work_cost(vehicle, seq)


def objective(data: RoutingData, sequences: list[list[int]]) -> int:
    """Travel cost of every route, with its fairness surcharge, plus the drop penalty of
    every unplaced visit."""
    served = {i for seq in sequences for i in seq}
    travel = sum(route_cost(data, k, seq) for k, seq in enumerate(sequences))
    return travel + sum(p for i, p in enumerate(data.penalty) if i not in served)


def neighbourhood(
    data: RoutingData, sequences: list[list[int]], seed_vehicle: int, routes: int, unplaced: set[int]
) -> Neighbourhood:
    """The ``routes`` routes nearest to ``seed_vehicle``'s route, and their work."""
    n_veh = len(data.vehicles)
    seed_nodes = [data.vehicles[seed_vehicle].start_node, *sequences[seed_vehicle]]
    # Cost from the nearest node of the seed route to every node.
    near = data.cost[seed_nodes, :].min(axis=0).astype(np.float64)
    owner: list[int] = []
    nodes: list[int] = []
    for k, seq in enumerate(sequences):
        owner.append(k)
        nodes.append(data.vehicles[k].start_node)
        owner.extend([k] * len(seq))
        nodes.extend(seq)
    own = np.asarray(owner, dtype=np.int64)
    total = np.bincount(own, weights=near[np.asarray(nodes, dtype=np.int64)], minlength=n_veh)
    dist: np.ndarray = total / np.bincount(own, minlength=n_veh)
    dist[seed_vehicle] = -1.0  # the seed is always in
    chosen = sorted(int(k) for k in np.argsort(dist, kind="stable")[:routes])
    members = set(chosen)
    visits = [i for k in chosen for i in sequences[k]]
    visits += sorted(i for i in unplaced if any(k in members for k in data.allowed[i]))
    return Neighbourhood(tuple(chosen), tuple(visits))


def solve_neighbourhood(
    data: RoutingData, hood: Neighbourhood, current: list[list[int]], config: PlannerConfig, seconds: float
) -> list[list[int]] | None:
    """Better routes for the neighbourhood's vehicles (in its order), or None."""
    vis = list(hood.visits)
    vehs = list(hood.vehicles)
    sub = subproblem(data, vis, vehs)
    local = {i: j for j, i in enumerate(vis)}
    start = [[local[i] for i in current[k]] for k in vehs]
    sub_cfg = dataclasses.replace(
        config,
        iteration_limit=_solution_limit(config),
        metaheuristic=config.lns_metaheuristic or config.metaheuristic,
    )
    seqs, _ = solve_ortools(sub, sub_cfg, time.perf_counter() + seconds, 0, start)
    if len(seqs) != len(vehs) or objective(sub, seqs) >= objective(sub, start):
        return None
    return [[vis[j] for j in seq] for seq in seqs]


def _solution_limit(config: PlannerConfig) -> int | None:
    """Solutions per subproblem: ``lns_solution_limit``, else the planner's
    ``iteration_limit`` (a caller asking for a work-bounded search gets one here too)."""
    return config.lns_solution_limit if config.lns_solution_limit is not None else config.iteration_limit


def _solve_task(
    args: tuple[RoutingData, Neighbourhood, list[list[int]], PlannerConfig, float],
) -> list[list[int]] | None:
    return solve_neighbourhood(*args)


Kick = Callable[[list[list[int]], float], list[list[int]]]
KICK_SHARE = 0.3  # of the time left, for each kick
# A kick at least every twelfth of the search and every 0.6 s, even within a long round
# (metro bench, 300 x 40: 36 kicks in 30 s planned 2.4 % less travel than 12).
KICKS_AT_LEAST = 12
KICK_EVERY_MAX_S = 0.6


def improve_by_decomposition(
    data: RoutingData,
    sequences: list[list[int]],
    config: PlannerConfig,
    deadline: float,
    seed: int,
    executor: Executor | None = None,
    kick: Kick | None = None,
) -> tuple[list[list[int]], dict[str, float]]:
    """Improve a feasible plan (visit sequences per vehicle) until ``deadline``."""
    routes = [list(seq) for seq in sequences]
    n_veh = len(routes)
    if n_veh == 0 or data.n_visits == 0:
        return routes, {}
    started = time.perf_counter()
    before = objective(data, routes)
    served = {i for seq in routes for i in seq}
    unplaced = {i for i in range(data.n_visits) if i not in served}
    size = max(1, min(config.lns_routes, n_veh))

    order = list(range(n_veh))
    random.Random(seed).shuffle(order)
    queue: deque[int] = deque(order)
    queued = set(order)
    counters = _Counters()
    limit = config.lns_max_subproblems

    def next_hoods(count: int) -> Iterator[Neighbourhood]:
        """Up to ``count`` pairwise disjoint neighbourhoods from the front of the queue."""
        taken_veh: set[int] = set()
        taken_vis: set[int] = set()
        skipped: list[int] = []
        found = 0
        while queue and found < count:
            k = queue.popleft()
            hood = neighbourhood(data, routes, k, size, unplaced)
            if taken_veh.intersection(hood.vehicles) or taken_vis.intersection(hood.visits):
                skipped.append(k)
                if len(skipped) > 4 * count:
                    break
                continue
            queued.discard(k)
            taken_veh.update(hood.vehicles)
            taken_vis.update(hood.visits)
            found += 1
            yield hood
        queue.extendleft(reversed(skipped))

    def apply(hood: Neighbourhood, new: list[list[int]] | None) -> None:
        counters.subproblems += 1
        if new is None:
            return
        if any(
            time_sequence(data, k, seq).failed_at is not None
            for k, seq in zip(hood.vehicles, new, strict=True)
        ):
            counters.rejected_infeasible += 1
            return
        for k, seq in zip(hood.vehicles, new, strict=True):
            routes[k] = seq
        placed_now = {i for seq in new for i in seq}
        unplaced.difference_update(placed_now)
        unplaced.update(i for i in hood.visits if i not in placed_now)
        counters.improved += 1
        for k in hood.vehicles:
            if k not in queued:
                queued.add(k)
                queue.append(k)

    batch = max(1, config.lns_workers)
    own_pool = None
    if executor is None and batch > 1:
        own_pool = ProcessPoolExecutor(max_workers=batch, mp_context=mp.get_context("fork"))
        executor = own_pool
    # When the queue is empty, ``kick`` (another search, e.g. VROOM's local search started
    # from these routes) gets a share of the time left. When it lowers the objective, the
    # routes it changed are queued (new neighbourhoods); otherwise every route is queued
    # again with twice the subproblem time (at most ``lns_escalations`` doublings). Each
    # search escapes local optima the other keeps returning to. The searches are
    # deterministic, so an unchanged neighbourhood is only worth solving again for longer.
    # Only a time-bounded search goes on past its first round.
    escalation = 0
    escalates = limit is None and _solution_limit(config) is None and config.lns_escalations is not None
    most = config.lns_escalations or 0
    kicks = kicks_kept = rounds = 0
    kick_every = min((deadline - started) / KICKS_AT_LEAST, KICK_EVERY_MAX_S)
    next_kick = started + kick_every

    def run_kick() -> list[int]:
        """Run ``kick``; keep its routes when they lower the objective. Returns the
        vehicles whose routes it changed."""
        nonlocal kicks, kicks_kept, next_kick
        now = time.perf_counter()
        next_kick = now + kick_every
        kicks += 1
        assert kick is not None
        kicked = kick(routes, KICK_SHARE * (deadline - now))
        if objective(data, kicked) >= objective(data, routes):
            return []
        moved = [k for k in range(n_veh) if kicked[k] != routes[k]]
        routes[:] = kicked
        served = {i for seq in routes for i in seq}
        unplaced.clear()
        unplaced.update(i for i in range(data.n_visits) if i not in served)
        kicks_kept += 1
        return moved

    def may_kick() -> bool:
        return escalates and kick is not None and deadline - time.perf_counter() > 1.0

    try:
        while limit is None or counters.subproblems < limit:
            if queue and time.perf_counter() >= next_kick and may_kick():
                # a long round: kick in the middle of it, and put what changed first
                moved = run_kick()
                queue.extendleft(k for k in moved if k not in queued)
                queued.update(moved)
            if not queue:
                if not escalates:
                    break
                changed = run_kick() if may_kick() else []
                if changed:
                    # the kick's new routes are new neighbourhoods at the current time
                    order = changed
                elif escalation < most:
                    escalation += 1
                    order = list(range(n_veh))
                else:
                    break
                rounds += 1
                random.Random(seed + rounds).shuffle(order)
                queue.extend(order)
                queued.update(order)
            remaining = deadline - time.perf_counter()
            if remaining < 0.02:
                break
            # A solution limit bounds each subproblem by work (reproducible); the clock then
            # only guards the overall deadline.
            cap = config.lns_subproblem_seconds * 2**escalation
            if _solution_limit(config) is not None:
                cap = max(1.0, 20 * cap)  # a guard only: GLS may stall on a tiny subproblem
            seconds = min(cap, remaining)
            hoods = list(next_hoods(batch if limit is None else min(batch, limit - counters.subproblems)))
            if not hoods:
                break
            if executor is None or len(hoods) == 1:
                results = [solve_neighbourhood(data, h, routes, config, seconds) for h in hoods]
            else:
                futures: list[Future[list[list[int]] | None]] = [
                    executor.submit(_solve_task, _task(data, h, routes, config, seconds)) for h in hoods
                ]
                results = [_globalise(h, f.result()) for h, f in zip(hoods, futures, strict=True)]
            for hood, new in zip(hoods, results, strict=True):
                apply(hood, new)
    finally:
        if own_pool is not None:
            own_pool.shutdown(cancel_futures=True)

    after = objective(data, routes)
    counters.search_seconds = time.perf_counter() - started
    return routes, {
        "lns_subproblems": float(counters.subproblems),
        "lns_improved": float(counters.improved),
        "lns_rejected_infeasible": float(counters.rejected_infeasible),
        "lns_seconds": round(counters.search_seconds, 3),
        "lns_escalations": float(escalation),
        "lns_rounds": float(rounds + 1),
        "lns_kicks": float(kicks),
        "lns_kicks_kept": float(kicks_kept),
        "lns_objective_before": float(before),
        "lns_objective_after": float(after),
    }


# Sending the whole 2,000-node problem to a worker process for every subproblem would cost
# more than the search; a worker gets the subproblem only, re-indexed from zero.


def _task(
    data: RoutingData, hood: Neighbourhood, routes: list[list[int]], config: PlannerConfig, seconds: float
) -> tuple[RoutingData, Neighbourhood, list[list[int]], PlannerConfig, float]:
    local = {i: j for j, i in enumerate(hood.visits)}
    return (
        subproblem(data, list(hood.visits), list(hood.vehicles)),
        Neighbourhood(tuple(range(len(hood.vehicles))), tuple(range(len(hood.visits)))),
        [[local[i] for i in routes[k]] for k in hood.vehicles],
        config,
        seconds,
    )


def _globalise(hood: Neighbourhood, new: list[list[int]] | None) -> list[list[int]] | None:
    if new is None:
        return None
    return [[hood.visits[j] for j in seq] for seq in new]


def solve_large_day(
    data: RoutingData,
    config: PlannerConfig,
    deadline: float,
    seed: int,
    initial: list[list[int]] | None = None,
    kick: Kick | None = None,
) -> tuple[list[list[int]], dict[str, float]]:
    """A global plan for a large day: regret insertion (completing ``initial``, e.g. a
    previous plan, when given), guarded by the first-come greedy when regret leaves visits
    out, then improved by decomposition until ``deadline`` (with ``kick`` between rounds)."""
    started = time.perf_counter()
    if config.construct_regret > 0:
        routes, stats = regret_insertion(data, config.construct_regret, start=initial)
    else:  # measurement baseline: improve the first-come plan (or the previous plan)
        routes, stats = (initial or greedy_sequences(data)), {}
    stats["construct_seconds"] = round(time.perf_counter() - started, 3)
    stats["construct_objective"] = float(objective(data, routes))
    if initial is None and sum(len(seq) for seq in routes) < data.n_visits:
        greedy = greedy_sequences(data)
        if objective(data, greedy) < objective(data, routes):
            routes = greedy
            stats["construct_greedy_kept"] = 1.0
    if config.widen_unplaced:
        # Before the search, so its neighbourhoods see the widened visits too.
        routes, leftover_stats = place_leftovers(data, routes)
        stats["construct_leftovers_placed"] = leftover_stats["leftovers_placed"]
    routes, lns = improve_by_decomposition(data, routes, config, deadline, seed, kick=kick)
    stats.update(lns)
    return routes, stats
