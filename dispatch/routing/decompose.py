"""Regional decomposition for large days (thousands of visits, hundreds of technicians).

Measured on the 2,000 x 250 metro day: one OR-Tools model of that size searches at a few
dozen branches per second (allowed-vehicle constraints, breaks and 250 routes make every
move expensive), so within a minute it cannot even improve on a greedy start. Instead:

1. technicians are grouped into regions by k-means on their start points (seeded);
2. each visit goes to the region holding most of its candidate technicians (its
   neighbourhood, see ``PlannerConfig.candidate_places``);
3. each region is an independent OR-Tools problem over its own visits and technicians,
   warm-started from (and never returning worse than) the greedy plan of the region, given
   a share of the remaining time proportional
   to its number of visits;
4. visits a region could not place are offered to every qualified technician by cheapest
   feasible insertion into the finished routes.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np

from dispatch.routing.data import PlannerConfig, RoutingData
from dispatch.routing.greedy import greedy_sequences
from dispatch.routing.ortools_engine import solve_ortools
from dispatch.routing.schedule import time_sequence


def _kmeans(xy: np.ndarray, k: int, seed: int, rounds: int = 25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = xy[rng.choice(len(xy), size=k, replace=False)]
    label = np.zeros(len(xy), dtype=np.int64)
    for _ in range(rounds):
        d = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = d.argmin(axis=1)
        for c in range(k):
            members = xy[label == c]
            if len(members):
                centres[c] = members.mean(axis=0)
    return label


def subproblem(data: RoutingData, visits: list[int], vehicles: list[int]) -> RoutingData:
    """The problem restricted to some visits and vehicles, keeping only their depot points
    (a depot node no vehicle starts or ends at would be a mandatory visit for OR-Tools)."""
    n = data.n_visits
    n_sub = len(visits)
    depots = sorted(
        {data.vehicles[k].start_node for k in vehicles} | {data.vehicles[k].end_node for k in vehicles}
    )
    depot_map = {node: n_sub + j for j, node in enumerate(depots)}
    nodes = visits + depots
    veh_map = {k: j for j, k in enumerate(vehicles)}
    idx = np.asarray(nodes, dtype=np.int64)
    sub_vehicles = [
        dataclasses.replace(
            data.vehicles[k],
            start_node=depot_map[data.vehicles[k].start_node],
            end_node=depot_map[data.vehicles[k].end_node],
        )
        for k in vehicles
    ]
    return RoutingData(
        day=data.day,
        visits=[data.visits[i] for i in visits],
        vehicles=sub_vehicles,
        depot_points=[data.depot_points[node - n] for node in depots],
        travel=data.travel.take(idx),
        cost=data.cost[np.ix_(idx, idx)],
        service=data.service[idx],
        tw_lo=data.tw_lo[visits],
        tw_hi=data.tw_hi[visits],
        demand=data.demand[idx],
        allowed=[[veh_map[k] for k in data.allowed[i] if k in veh_map] for i in visits],
        penalty=[data.penalty[i] for i in visits],
        pinned=[veh_map.get(p) if (p := data.pinned[i]) is not None else None for i in visits],
        eligible=[[veh_map[k] for k in data.eligible[i] if k in veh_map] for i in visits],
    )


def solve_by_regions(
    data: RoutingData, config: PlannerConfig, deadline: float, seed: int, region_visits: int
) -> tuple[list[list[int]], dict[str, float]]:
    n_veh = len(data.vehicles)
    k = max(1, min(n_veh, math.ceil(data.n_visits / region_visits)))
    starts = [data.depot_points[v.start_node - data.n_visits] for v in data.vehicles]
    homes = np.array([(p.lat, p.lng) for p in starts], dtype=np.float64)
    region_of_vehicle = _kmeans(homes, k, seed) if k > 1 else np.zeros(n_veh, dtype=np.int64)
    region_visits_idx: list[list[int]] = [[] for _ in range(k)]
    for i, ks in enumerate(data.allowed):
        votes = np.bincount(region_of_vehicle[ks], minlength=k)
        region_visits_idx[int(votes.argmax())].append(i)

    sequences: list[list[int]] = [[] for _ in range(n_veh)]
    kept_greedy = 0
    remaining_visits = data.n_visits
    for r in range(k):
        vis = region_visits_idx[r]
        vehs = [v for v in range(n_veh) if region_of_vehicle[v] == r]
        if not vis or not vehs:
            continue
        sub = subproblem(data, vis, vehs)
        share = (deadline - time.perf_counter()) * len(vis) / max(1, remaining_visits)
        remaining_visits -= len(vis)
        start = greedy_sequences(sub)
        sub_seqs, _ = solve_ortools(sub, config, time.perf_counter() + max(0.05, share), seed, start)
        if _objective(sub, start) < _objective(sub, sub_seqs):
            sub_seqs = start  # never worse than first-come inside a region
            kept_greedy += 1
        for j, seq in enumerate(sub_seqs):
            sequences[vehs[j]] = [vis[i] for i in seq]

    # Leftovers: cheapest feasible insertion anywhere they are allowed.
    placed = {i for seq in sequences for i in seq}
    leftovers = 0
    for i in range(data.n_visits):
        if i in placed:
            continue
        best: tuple[int, int, int] | None = None
        for kv in data.allowed[i]:
            veh = data.vehicles[kv]
            path = [veh.start_node, *sequences[kv], veh.end_node]
            for pos in range(len(path) - 1):
                a, b = path[pos], path[pos + 1]
                delta = int(data.cost[a, i] + data.cost[i, b] - data.cost[a, b])
                if best is not None and delta >= best[0]:
                    continue
                trial = [*sequences[kv][:pos], i, *sequences[kv][pos:]]
                if time_sequence(data, kv, trial).failed_at is None:
                    best = (delta, kv, pos)
        if best is not None:
            _, kv, pos = best
            sequences[kv].insert(pos, i)
            leftovers += 1
    return sequences, {
        "regions": float(k),
        "regions_kept_greedy": float(kept_greedy),
        "leftovers_inserted": float(leftovers),
    }


def _objective(data: RoutingData, seqs: list[list[int]]) -> int:
    total = 0
    served: set[int] = set()
    for k, seq in enumerate(seqs):
        if not seq:
            continue
        path = [data.vehicles[k].start_node, *seq, data.vehicles[k].end_node]
        total += int(sum(data.cost[a, b] for a, b in itertools.pairwise(path)))
        served.update(seq)
    return total + sum(p for i, p in enumerate(data.penalty) if i not in served)
