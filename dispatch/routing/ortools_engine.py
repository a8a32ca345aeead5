"""OR-Tools routing engine: RoutingData -> visit sequences. Solver objects stay in here.

Model:
* one vehicle per usable technician, start/end nodes at their start point and home;
* arc cost = the travel cost matrix (metres by default) registered as a C++ transit matrix
  (a Python callback would be called millions of times on a 2,000-visit day);
* a "time" dimension whose transit is ``service(from) + travel(from, to)``; waiting allowed
  (slack up to the horizon); visit cumuls restricted to the arrival window, vehicle start/end
  cumuls to the working span; gaps between shifts are fixed-time vehicle breaks that may not
  overlap a service;
* qualification via ``VehicleVar(i).SetValues([-1, *allowed])`` (-1 = dropped);
* every visit is a single-node disjunction whose penalty is the drop cost, so a first
  solution always exists (dropping everything is feasible) and the search trades placed
  visits against driving; pinned visits carry a much larger penalty and one allowed vehicle;
* optional "load" (capacity) and "count" (max visits per day) dimensions, and a "work"
  dimension (service minutes) whose per-vehicle span cost is the fairness surcharge.

Seeds: OR-Tools routing has no random seed; its heuristics break ties by node index. The
seed therefore permutes the visit order in the model (seed 0 = identity), which gives
different but reproducible searches.
"""

from __future__ import annotations

import random
import time
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.routing.data import PlannerConfig, RoutingData


def _permutation(n: int, seed: int) -> list[int]:
    order = list(range(n))
    if seed:
        random.Random(seed).shuffle(order)
    return order


def solve_ortools(
    data: RoutingData,
    config: PlannerConfig,
    deadline: float,
    seed: int,
    initial: list[list[int]] | None = None,
) -> tuple[list[list[int]], dict[str, float]]:
    """``deadline`` is a ``time.perf_counter()`` value: model building counts against it."""
    """Sequences of visit indices per vehicle (empty lists for idle vehicles) and stats."""
    n = data.n_visits
    n_veh = len(data.vehicles)
    if n_veh == 0:
        return [], {"status": 0.0}
    n_depots = len(data.depot_points)
    # Model node m < n is visit perm[m]; depot nodes keep their place after the visits.
    perm = _permutation(n, seed)
    node_of_visit = [0] * n
    for m, i in enumerate(perm):
        node_of_visit[i] = m
    order = perm + list(range(n, n + n_depots))

    manager = pywrapcp.RoutingIndexManager(
        n + n_depots,
        n_veh,
        [v.start_node for v in data.vehicles],
        [v.end_node for v in data.vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)

    cost = data.cost[order][:, order]
    cost_cb = routing.RegisterTransitMatrix(cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    if config.vehicle_fixed_cost:
        routing.SetFixedCostOfAllVehicles(config.vehicle_fixed_cost)

    service = data.service[order]
    transit = data.travel.seconds[order][:, order] + service[:, None]
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    horizon = data.horizon
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")

    solver = routing.solver()
    for i in range(n):
        index = manager.NodeToIndex(node_of_visit[i])
        time_dim.CumulVar(index).SetRange(int(data.tw_lo[i]), int(data.tw_hi[i]))
        routing.AddDisjunction([index], int(data.penalty[i]))
        if not data.all_allowed(i):
            routing.VehicleVar(index).SetValues([-1, *data.allowed[i]])

    node_visit_transits = [0] * (routing.Size() + n_veh)
    for index in range(routing.Size()):
        if not routing.IsStart(index):
            node_visit_transits[index] = int(service[manager.IndexToNode(index)])
    for k, veh in enumerate(data.vehicles):
        time_dim.CumulVar(routing.Start(k)).SetRange(veh.earliest_start, veh.latest_end)
        time_dim.CumulVar(routing.End(k)).SetRange(veh.earliest_start, veh.latest_end)
        gaps = veh.gaps
        if gaps:
            breaks = [
                solver.FixedDurationIntervalVar(a, a, b - a, False, f"off_{k}_{j}")
                for j, (a, b) in enumerate(gaps)
            ]
            time_dim.SetBreakIntervalsOfVehicle(breaks, k, node_visit_transits)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(k)))
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(k)))

    if any(v.capacity is not None for v in data.vehicles) and int(data.demand.sum()) > 0:
        demand_cb = routing.RegisterUnaryTransitVector(data.demand[order].tolist())
        caps = [v.capacity if v.capacity is not None else int(data.demand.sum()) for v in data.vehicles]
        routing.AddDimensionWithVehicleCapacity(demand_cb, 0, caps, True, "load")
    if any(v.max_visits is not None for v in data.vehicles):
        ones = [1] * n + [0] * n_depots
        count_cb = routing.RegisterUnaryTransitVector(ones)
        caps = [v.max_visits if v.max_visits is not None else n for v in data.vehicles]
        routing.AddDimensionWithVehicleCapacity(count_cb, 0, caps, True, "count")

    if data.fair_shares:
        # Service minutes per vehicle, priced per vehicle through the span cost.
        minutes = (service // 60).tolist()
        work_cb = routing.RegisterUnaryTransitVector([int(m) for m in minutes])
        routing.AddDimension(work_cb, 0, int(sum(minutes)) + 1, True, "work")
        work_dim = routing.GetDimensionOrDie("work")
        for k, veh in enumerate(data.vehicles):
            if veh.work_surcharge:
                work_dim.SetSpanCostCoefficientForVehicle(veh.work_surcharge, k)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, config.first_solution)
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, config.metaheuristic
    )
    if config.gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = config.gls_lambda
    if config.iterated_local_search:
        # Ruin (SISR: slack induction by string removals) and recreate, with simulated
        # annealing acceptance; OR-Tools leaves the ruin strategy empty by default.
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        ruin = ils.ruin_recreate_parameters.ruin_strategies.add()
        ruin.sisr.max_removed_sequence_size = 10
        ruin.sisr.avg_num_removed_visits = 10
        ruin.sisr.bypass_factor = 0.01
        ils.reference_solution_acceptance_strategy.simulated_annealing.automatic_temperatures = True
    params.log_search = config.log_search
    remaining = max(0.05, deadline - time.perf_counter())
    params.time_limit.FromMilliseconds(max(1, int(remaining * 1000)))
    if config.iteration_limit is not None:
        params.solution_limit = config.iteration_limit

    assignment: Any = None
    warm = 0
    if initial:
        routes = [[manager.NodeToIndex(node_of_visit[i]) for i in seq] for seq in initial] + [
            [] for _ in range(n_veh - len(initial))
        ]
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            warm = 1
            assignment = routing.SolveFromAssignmentWithParameters(start, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)

    stats: dict[str, float] = {"status": float(routing.status()), "warm_start": float(warm)}
    if assignment is None:
        return [[] for _ in range(n_veh)], stats
    stats["ortools_objective"] = float(assignment.ObjectiveValue())
    sequences: list[list[int]] = []
    for k in range(n_veh):
        seq: list[int] = []
        index = assignment.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(index):
            seq.append(perm[manager.IndexToNode(index)])
            index = assignment.Value(routing.NextVar(index))
        sequences.append(seq)
    return sequences, stats
