"""Leftover visits: offer every visit a plan left unplaced to every qualified technician.

The technician neighbourhood (``PlannerConfig.candidate_places``) keeps a large search
small, but it must never be the reason work stays undone. So once a solver is done, each
unplaced visit's allowed technicians are widened to all qualified ones and it is inserted
at the cheapest position that keeps its route feasible, highest drop penalty first, unless
that position costs more travel than dropping the visit does.

Inserting a visit only delays the rest of its route and uses up capacity, so it can never
make another insertion feasible; one pass therefore leaves no unplaced visit that any
route could still take (the check the plan validator makes). Candidate positions come from
the vectorised forward/backward time test, which never rules out a feasible position, and
each is confirmed by :func:`dispatch.routing.schedule.time_sequence` before it is used.
"""

from __future__ import annotations

import numpy as np

from dispatch.routing.construct import INF, RouteTiming, insertion_costs, route_timing
from dispatch.routing.data import RoutingData
from dispatch.routing.schedule import time_sequence


def place_leftovers(
    data: RoutingData, sequences: list[list[int]]
) -> tuple[list[list[int]], dict[str, float]]:
    """``sequences`` with every insertable unplaced visit inserted; widens ``data.allowed``
    of the unplaced visits to every qualified technician."""
    routes = [list(seq) for seq in sequences]
    served = {i for seq in routes for i in seq}
    left = [i for i in range(data.n_visits) if i not in served]
    widened = 0
    for i in left:
        if data.eligible and len(data.eligible[i]) > len(data.allowed[i]):
            data.allowed[i] = list(data.eligible[i])
            widened += 1
    usable = [time_sequence(data, k, seq).failed_at is None for k, seq in enumerate(routes)]
    timing: dict[int, RouteTiming] = {}
    placed = 0
    for i in sorted(left, key=lambda i: (-data.penalty[i], i)):
        options: list[tuple[int, int, int]] = []  # (cost, vehicle, position)
        here = np.array([i], dtype=np.int64)
        for k in data.allowed[i]:
            if not usable[k]:
                continue  # an engine's broken route: the schedule repairs it, nothing goes in
            if k not in timing:
                timing[k] = route_timing(data, k, routes[k])
            row = insertion_costs(data, k, timing[k], here)[0]
            # Only where placing the visit costs less than dropping it (the planner's objective).
            worth = np.flatnonzero(row < min(INF, data.penalty[i]))
            options.extend((int(row[pos]), k, int(pos)) for pos in worth)
        for _, k, pos in sorted(options):
            trial = [*routes[k][:pos], i, *routes[k][pos:]]
            if time_sequence(data, k, trial).failed_at is None:
                routes[k] = trial
                timing.pop(k)
                placed += 1
                break
    return routes, {"leftovers_widened": float(widened), "leftovers_placed": float(placed)}
