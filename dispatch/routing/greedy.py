"""First-come greedy baseline: the way an open marketplace fills jobs as they arrive.

Visits are taken in the order given (creation order); each goes to the cheapest feasible
insertion position over the routes of all qualified technicians, and is never moved again.
Used as the benchmark baseline and as a cheap fallback; it obeys exactly the same rules as
the optimiser (feasibility is checked by :func:`dispatch.routing.schedule.time_sequence`).
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.problem import Plan, Technician, TimeWindow, Visit
from dispatch.routing.data import PlannerConfig, RoutingData, build_routing_data
from dispatch.routing.leftovers import place_leftovers
from dispatch.routing.schedule import time_sequence, to_plan
from dispatch.routing.travel import TravelSource


def greedy_sequences(data: RoutingData) -> list[list[int]]:
    cost = data.cost
    routes: list[list[int]] = [[] for _ in data.vehicles]
    for i in range(data.n_visits):
        options: list[tuple[int, int, int]] = []  # (delta, vehicle, position)
        for k in data.allowed[i]:
            veh = data.vehicles[k]
            path = [veh.start_node, *routes[k], veh.end_node]
            for pos in range(len(path) - 1):
                a, b = path[pos], path[pos + 1]
                delta = int(cost[a, i] + cost[i, b] - cost[a, b])
                options.append((delta, k, pos))
        options.sort()
        for _, k, pos in options:
            trial = [*routes[k][:pos], i, *routes[k][pos:]]
            if time_sequence(data, k, trial).failed_at is None:
                routes[k] = trial
                break
    return routes


def greedy_plan(
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: TravelSource,
    *,
    now: int | None = None,
    config: PlannerConfig | None = None,
) -> Plan:
    """Plan the day first-come-first-served (no optimisation)."""
    cfg = config or PlannerConfig()
    data = build_routing_data(technicians, visits, day, travel, cfg, now=now)
    sequences = greedy_sequences(data)
    stats: dict[str, float] = {}
    if cfg.widen_unplaced:
        sequences, stats = place_leftovers(data, sequences)
    return to_plan(data, sequences, "greedy", stats)
