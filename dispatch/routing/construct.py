"""Global construction of a day plan by regret insertion over every qualified technician.

The first-come baseline (:mod:`dispatch.routing.greedy`) inserts visits in creation order,
so an early visit takes whatever slot is cheapest *for it* and later visits live with the
consequences. Regret insertion instead looks at every unplaced visit at once and places
next the one that would lose most by waiting: the difference between its best and its
``regret``-th best insertion cost over different technicians (a visit with a single
feasible technician goes first). ``regret=1`` is plain cheapest insertion.

It stays fast on thousands of visits because each visit only considers its allowed
technicians (``RoutingData.allowed``, the nearest qualified ones on large days), the cost
of the best feasible position in each route is cached, and inserting into a route only
recomputes that route's column, vectorised over positions and visits with numpy.

Feasibility of an insertion uses the classic forward/backward time pass: the departure
time from each stop (exact, from the schedule) and the latest service start at each later
stop that keeps the rest of the route on time. With a single shift this test is exact;
with split shifts it ignores the off-shift gap, which can only make it optimistic, so every
chosen insertion is confirmed by :func:`dispatch.routing.schedule.time_sequence` (the
same rule as the validator) before it is made.
"""

from __future__ import annotations

import numpy as np

from dispatch.routing.data import RoutingData
from dispatch.routing.schedule import time_sequence

INF = np.iinfo(np.int64).max // 4


class RouteTiming:
    __slots__ = ("dep", "late", "load", "path")

    def __init__(self, path: np.ndarray, dep: np.ndarray, late: np.ndarray, load: int) -> None:
        self.path = path  # start node, visits..., end node
        self.dep = dep  # departure time from path[j], j = 0..m
        self.late = late  # latest arrival at path[j], j = 1..m+1 (index j-1)
        self.load = load


def route_timing(data: RoutingData, vehicle: int, seq: list[int]) -> RouteTiming:
    veh = data.vehicles[vehicle]
    secs = data.travel.seconds
    path = np.array([veh.start_node, *seq, veh.end_node], dtype=np.int64)
    timed = time_sequence(data, vehicle, seq)
    dep = np.empty(len(seq) + 1, dtype=np.int64)
    dep[0] = veh.earliest_start
    for j, (i, arrival) in enumerate(zip(seq, timed.arrivals, strict=True)):
        dep[j + 1] = arrival + int(data.service[i])
    late = np.empty(len(seq) + 1, dtype=np.int64)
    late[-1] = veh.latest_end
    for j in range(len(seq) - 1, -1, -1):
        i, nxt = seq[j], int(path[j + 2])
        late[j] = min(int(data.tw_hi[i]), int(late[j + 1]) - int(data.service[i]) - int(secs[i, nxt]))
    load = int(data.demand[seq].sum()) if seq else 0
    return RouteTiming(path, dep, late, load)


def insertion_costs(data: RoutingData, vehicle: int, route: RouteTiming, visits: np.ndarray) -> np.ndarray:
    """Cost of inserting each visit (rows) before each position of the route (columns),
    ``INF`` where the forward/backward time test, capacity or the visit cap rule it out.
    The test is exact for single shifts and optimistic with split shifts, never pessimistic."""
    veh = data.vehicles[vehicle]
    m = len(route.path) - 2
    if veh.max_visits is not None and m + 1 > veh.max_visits:
        return np.full((len(visits), m + 1), INF, dtype=np.int64)
    prev, nxt = route.path[:-1], route.path[1:]
    cost, secs = data.cost, data.travel.seconds
    delta = cost[np.ix_(prev, visits)].T + cost[np.ix_(visits, nxt)]
    delta = delta - cost[prev, nxt][None, :]
    arrive = np.maximum(route.dep[None, :] + secs[np.ix_(prev, visits)].T, data.tw_lo[visits][:, None])
    ok = arrive <= data.tw_hi[visits][:, None]
    ok &= arrive + data.service[visits][:, None] + secs[np.ix_(visits, nxt)] <= route.late[None, :]
    if veh.capacity is not None:
        ok &= (route.load + data.demand[visits] <= veh.capacity)[:, None]
    if veh.work_surcharge:
        delta = delta + (veh.work_surcharge * (data.service[visits] // 60))[:, None]
    return np.where(ok, delta, INF)


def _best_positions(
    data: RoutingData, vehicle: int, route: RouteTiming, visits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest (approximately) feasible insertion cost and position of each visit."""
    delta = insertion_costs(data, vehicle, route, visits)
    pos = delta.argmin(axis=1)
    return delta[np.arange(len(visits)), pos], pos


def regret_insertion(
    data: RoutingData, regret: int = 2, start: list[list[int]] | None = None
) -> tuple[list[list[int]], dict[str, float]]:
    """Visit sequences per vehicle built by regret-``regret`` insertion (from ``start``,
    e.g. the pinned visits, or from empty routes)."""
    n, n_veh = data.n_visits, len(data.vehicles)
    routes: list[list[int]] = [list(s) for s in start] if start else [[] for _ in range(n_veh)]
    if n == 0 or n_veh == 0:
        return routes, {}
    width = max(len(a) for a in data.allowed)
    slots = np.full((n, width), -1, dtype=np.int64)  # vehicle in each slot
    for i, ks in enumerate(data.allowed):
        slots[i, : len(ks)] = ks
    best = np.full((n, width), INF, dtype=np.int64)
    where = np.zeros((n, width), dtype=np.int64)
    # Per vehicle: which (visit, slot) cells refer to it.
    cells_v: list[list[int]] = [[] for _ in range(n_veh)]
    cells_s: list[list[int]] = [[] for _ in range(n_veh)]
    for i, ks in enumerate(data.allowed):
        for s, k in enumerate(ks):
            cells_v[k].append(i)
            cells_s[k].append(s)
    cv = [np.asarray(v, dtype=np.int64) for v in cells_v]
    cs = [np.asarray(s, dtype=np.int64) for s in cells_s]

    open_ = np.ones(n, dtype=bool)
    for seq in routes:
        open_[seq] = False
    timing = [route_timing(data, k, routes[k]) for k in range(n_veh)]
    penalty = np.asarray(data.penalty, dtype=np.float64)

    def refresh(k: int) -> np.ndarray:
        live = open_[cv[k]]
        vis, sl = cv[k][live], cs[k][live]
        if len(vis):
            c, p = _best_positions(data, k, timing[k], vis)
            best[vis, sl] = c
            where[vis, sl] = p
        return vis

    score = np.full(n, -np.inf)
    first = np.full(n, INF, dtype=np.int64)

    def rescore(rows: np.ndarray) -> None:
        if not len(rows):
            return
        b = best[rows]
        c1 = b.min(axis=1)
        first[rows] = c1
        kth = min(regret, width) - 1
        if kth <= 0:
            s = -c1.astype(np.float64)
        else:
            ck = np.partition(b, kth, axis=1)[:, kth]
            s = np.where(ck >= INF, 1e18, (ck - c1).astype(np.float64))
        # Single-option visits first (ordered by what dropping them costs), then by regret.
        s = np.where(s >= 1e18, 1e18 + penalty[rows], s)
        s = np.where(c1 >= INF, -np.inf, s)
        score[rows] = s

    for k in range(n_veh):
        refresh(k)
    rescore(np.flatnonzero(open_))
    exact_rejects = inserted = 0
    while True:
        cand = np.flatnonzero(open_ & (score > -np.inf))
        if not len(cand):
            break
        i = int(cand[np.argmax(score[cand])])
        s = int(best[i].argmin())
        k = int(slots[i, s])
        pos = int(where[i, s])
        trial = [*routes[k][:pos], i, *routes[k][pos:]]
        if time_sequence(data, k, trial).failed_at is not None:
            exact_rejects += 1
            best[i, s] = INF
            rescore(np.array([i]))
            continue
        routes[k] = trial
        open_[i] = False
        score[i] = -np.inf
        inserted += 1
        timing[k] = route_timing(data, k, trial)
        rescore(refresh(k))
    return routes, {"regret_inserted": float(inserted), "regret_exact_rejects": float(exact_rejects)}
