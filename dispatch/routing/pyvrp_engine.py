"""PyVRP engine: RoutingData -> visit sequences.

PyVRP (hybrid genetic search) closes the last percent on Solomon-type problems that
OR-Tools' local search leaves open (see ``bench/BENCHMARKS.md``), so the planner uses it for
the problems it can express and OR-Tools for the rest. pyvrp is a runtime dependency, so
a production install chooses engines exactly as the tests do.

Mapping:
* locations = our nodes (visits, then depot points); clients are the visits, depots the
  distinct start/end points; the distance matrix *is* our arc cost matrix and the duration
  matrix the travel seconds, so PyVRP's objective equals ours;
* visits are optional clients whose prize is the drop penalty;
* technicians with the same start, end, working span, capacity and qualifications form one
  vehicle type;
* qualification (skills, certifications) has no direct PyVRP counterpart; it is encoded in
  routing *profiles*: each distinct qualification set gets its own matrix copy in which the
  arcs into and out of the visits it may not take are prohibitively long (travel longer than
  the horizon), so using them would always be infeasible. This costs one matrix per profile,
  hence the ``max_pyvrp_profiles`` limit.

Not expressible here (OR-Tools handles these): pinned visits, split shifts (several shifts
in one day), per-technician maximum visits.
"""

from __future__ import annotations

import time

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from dispatch.routing.data import PlannerConfig, RoutingData

_MAX_MATRIX_CELLS = 60_000_000  # profiles x locations^2, roughly 1 GB of int64 for both matrices


def _profiles(data: RoutingData) -> tuple[list[int], list[frozenset[int]]]:
    quals: dict[int, set[int]] = {k: set() for k in range(len(data.vehicles))}
    for i, ks in enumerate(data.allowed):
        for k in ks:
            quals[k].add(i)
    keys: list[frozenset[int]] = []
    profile_of: list[int] = []
    for k in range(len(data.vehicles)):
        q = frozenset(quals[k])
        if q not in keys:
            keys.append(q)
        profile_of.append(keys.index(q))
    return profile_of, keys


def unsupported_reason(data: RoutingData, config: PlannerConfig, strict: bool = False) -> str | None:
    """Why PyVRP cannot (or, for ``engine="auto"``, should not) take this problem."""
    if any(p is not None for p in data.pinned):
        return "pinned visits"
    if any(v.gaps for v in data.vehicles):
        return "split shifts"
    if any(v.max_visits is not None for v in data.vehicles):
        return "max visits per day"
    if data.fair_shares:
        return "fairness surcharges"
    if not data.vehicles or data.n_visits == 0:
        return "empty problem"
    _, keys = _profiles(data)
    size = data.n_visits + len(data.depot_points)
    if len(keys) * size * size > _MAX_MATRIX_CELLS:
        return f"{len(keys)} qualification profiles x {size} locations is too large"
    if not strict and len(keys) > config.max_pyvrp_profiles:
        return f"{len(keys)} qualification profiles > {config.max_pyvrp_profiles}"
    return None


def _prizes(data: RoutingData) -> list[int]:
    """Drop penalties scaled down, all by one factor, until the smallest is just above twice
    the longest arc: still more than any single insertion costs (so every visit that fits
    is placed, and priorities keep their order), but no longer millions of times the travel
    costs, which throws PyVRP's penalty scaling off."""
    if not data.penalty:
        return []
    floor = 2 * int(data.cost.max()) + 1
    low = min(data.penalty)
    if low <= floor:
        return list(data.penalty)
    return [max(floor, p * floor // low) for p in data.penalty]


def _build(data: RoutingData) -> tuple[pyvrp.ProblemData, list[list[int]]]:
    n = data.n_visits
    n_depots = len(data.depot_points)
    size = n + n_depots
    has_load = any(v.capacity is not None for v in data.vehicles) and int(data.demand.sum()) > 0
    total_demand = int(data.demand.sum())

    locations = [pyvrp.Location(x=v.location.lng, y=v.location.lat) for v in data.visits] + [
        pyvrp.Location(x=p.lng, y=p.lat) for p in data.depot_points
    ]
    prizes = _prizes(data)
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(data.demand[i])] if has_load else [],
            service_duration=int(data.service[i]),
            tw_early=int(data.tw_lo[i]),
            tw_late=int(data.tw_hi[i]),
            prize=prizes[i],
            required=False,
        )
        for i in range(n)
    ]
    depots = [pyvrp.Depot(location=n + d) for d in range(n_depots)]

    profile_of, keys = _profiles(data)
    # Longer than any route can last: an arc to a forbidden visit always causes time warp.
    forbidden = 4 * (data.horizon + int(data.travel.seconds.max()) + int(data.service.sum()) + 1)
    distances: list[np.ndarray] = []
    durations: list[np.ndarray] = []
    for q in keys:
        dist = np.array(data.cost, dtype=np.int64, copy=True)
        dur = np.array(data.travel.seconds, dtype=np.int64, copy=True)
        banned = np.array([i for i in range(n) if i not in q], dtype=np.int64)
        if banned.size:
            dist[banned, :] = forbidden
            dist[:, banned] = forbidden
            dur[banned, :] = forbidden
            dur[:, banned] = forbidden
            dist[banned, banned] = 0
            dur[banned, banned] = 0
        assert dist.shape == (size, size)
        distances.append(dist)
        durations.append(dur)

    groups: dict[tuple[int, int, int, int, int, int], list[int]] = {}
    for k, veh in enumerate(data.vehicles):
        cap = veh.capacity if veh.capacity is not None else total_demand
        key = (veh.start_node - n, veh.end_node - n, veh.earliest_start, veh.latest_end, cap, profile_of[k])
        groups.setdefault(key, []).append(k)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=[cap] if has_load else [],
            start_depot=start,
            end_depot=end,
            tw_early=early,
            tw_late=late,
            profile=profile,
        )
        for (start, end, early, late, cap, profile), members in groups.items()
    ]
    matrices: tuple[list, list] = (distances, durations)  # pyvrp's stubs want ndarray[int]
    problem = pyvrp.ProblemData(locations, clients, depots, vehicle_types, *matrices)
    return problem, list(groups.values())


def solve_pyvrp(
    data: RoutingData,
    config: PlannerConfig,
    deadline: float,
    seed: int,
    initial: list[list[int]] | None = None,
) -> tuple[list[list[int]], dict[str, float]]:
    """``deadline`` is a ``time.perf_counter()`` value: model building counts against it."""
    problem, members = _build(data)
    type_of = {k: t for t, ks in enumerate(members) for k in ks}
    init = None
    if initial and any(initial):
        routes = [pyvrp.Route(problem, seq, type_of[k]) for k, seq in enumerate(initial) if seq]
        init = pyvrp.Solution(problem, routes)
    remaining = max(0.05, deadline - time.perf_counter())
    stop: MaxRuntime | MultipleCriteria = MaxRuntime(remaining)
    if config.iteration_limit is not None:
        stop = MultipleCriteria([MaxRuntime(remaining), MaxIterations(config.iteration_limit)])
    result = pyvrp.solve(
        problem, stop=stop, seed=seed, collect_stats=False, display=False, initial_solution=init
    )

    sequences: list[list[int]] = [[] for _ in data.vehicles]
    free = [list(ks) for ks in members]  # vehicles of each type not yet given a route
    for route in result.best.routes():
        seq = [a.idx for a in route.schedule() if a.is_client()]
        k = free[route.vehicle_type()].pop(0)
        sequences[k] = seq
    stats = {
        "pyvrp_feasible": float(result.best.is_feasible()),
        "pyvrp_iterations": float(result.num_iterations),
        "pyvrp_cost": float(result.cost()) if result.best.is_feasible() else -1.0,
        "warm_start": float(init is not None),
    }
    return sequences, stats
