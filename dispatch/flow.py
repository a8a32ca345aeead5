"""Pure batch assignment as a min-cost flow, with a certificate of optimality.

Network: every visit supplies one unit; it flows either to a technician it may be
given to (unit capacity, pair cost) and on to the sink (capacity = how many visits the
technician may take), or straight to the sink at the visit's unassigned penalty.

The full bipartite graph for 1,000 visits x 10,000 technicians has millions of arcs,
most of them hopeless. We solve on each visit's K cheapest arcs and then *prove* the
result optimal for the full graph with LP duality, growing K only for visits where the
proof fails:

* From the optimal flow we compute technician prices `beta_t >= 0` (the cheapest way to
  free one slot of t, i.e. shortest paths through the residual graph; 0 when t has a
  free slot) and visit values `alpha_v = min(penalty_v, min_t in K_v (c_vt + beta_t))`.
  These are checked numerically to be an optimal dual of the *pruned* problem
  (complementary slackness with the flow).
* A pruned-away arc (v, t) satisfies its dual constraint `alpha_v - beta_t <= c_vt`
  whenever `alpha_v <= c_vt`, because beta_t >= 0. The arcs are sorted, so it is enough
  that `alpha_v` does not exceed v's cheapest pruned arc. If that holds for every visit
  the duals are feasible for the full problem and the flow is optimal there too.

Arcs costing at least the visit's penalty are dropped up front: leaving the visit
unassigned is never worse, and `alpha_v <= penalty_v` covers their dual constraints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from dispatch.geo import IntArray


@dataclass(frozen=True, slots=True, eq=False)
class FlowSolution:
    assigned_row: IntArray  # pool row per visit, -1 when unassigned
    assigned_arc: IntArray  # index into the visit's sorted arc list, -1 when unassigned
    objective: int
    certified_optimal: bool
    rounds: int
    arcs: int  # visit -> technician arcs in the last solve


def _solve_pruned(
    arc_rows: Sequence[IntArray],
    arc_costs: Sequence[IntArray],
    keep: IntArray,
    penalties: IntArray,
    capacity: IntArray,
) -> tuple[IntArray, IntArray, int]:
    n_visits = len(arc_rows)
    kept_rows = [arc_rows[v][: keep[v]] for v in range(n_visits)]
    all_rows = np.concatenate([*kept_rows, np.empty(0, dtype=np.int64)])
    techs, local = np.unique(all_rows, return_inverse=True)
    n_techs = len(techs)
    sink = n_visits + n_techs
    tails = np.repeat(np.arange(n_visits, dtype=np.int64), keep)
    heads = n_visits + local.astype(np.int64)
    costs = np.concatenate([*(arc_costs[v][: keep[v]] for v in range(n_visits)), np.empty(0, dtype=np.int64)])
    n_pair = len(tails)
    all_tails = np.concatenate([tails, np.arange(n_visits), n_visits + np.arange(n_techs)])
    all_heads = np.concatenate([heads, np.full(n_visits, sink), np.full(n_techs, sink)])
    all_caps = np.concatenate([np.ones(n_pair + n_visits, dtype=np.int64), capacity[techs]])
    all_costs = np.concatenate([costs, penalties, np.zeros(n_techs, dtype=np.int64)])

    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        all_tails.astype(np.int32), all_heads.astype(np.int32), all_caps, all_costs
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_visits] = 1
    supplies[sink] = -n_visits
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = solver.flows(np.arange(n_pair, dtype=np.int32)) if n_pair else np.empty(0, dtype=np.int64)
    assigned_row = np.full(n_visits, -1, dtype=np.int64)
    assigned_arc = np.full(n_visits, -1, dtype=np.int64)
    used = np.flatnonzero(flows > 0)
    offsets = np.concatenate([[0], np.cumsum(keep)])
    visits_used = tails[used]
    assigned_row[visits_used] = techs[local[used]]
    assigned_arc[visits_used] = used - offsets[visits_used]
    return assigned_row, assigned_arc, int(solver.optimal_cost())


def _duals(
    arc_rows: Sequence[IntArray],
    arc_costs: Sequence[IntArray],
    keep: IntArray,
    penalties: IntArray,
    capacity: IntArray,
    assigned_row: IntArray,
    assigned_arc: IntArray,
) -> tuple[np.ndarray, bool]:
    """Visit values alpha (see module docstring) and whether they certify optimality."""
    n_visits = len(arc_rows)
    width = int(keep.max()) if n_visits else 0
    rows = np.zeros((n_visits, max(width, 1)), dtype=np.int64)
    cost = np.full((n_visits, max(width, 1)), np.inf)
    for v in range(n_visits):
        rows[v, : keep[v]] = arc_rows[v][: keep[v]]
        cost[v, : keep[v]] = arc_costs[v][: keep[v]]
    pen = penalties.astype(np.float64)
    load = np.bincount(assigned_row[assigned_row >= 0], minlength=len(capacity))
    saturated = load >= capacity
    beta = np.where(saturated, np.inf, 0.0)
    is_assigned = assigned_row >= 0
    own_cost = np.where(is_assigned, cost[np.arange(n_visits), np.maximum(assigned_arc, 0)], 0.0)
    movable = is_assigned & saturated[np.maximum(assigned_row, 0)]
    not_own = np.ones_like(cost, dtype=bool)
    not_own[np.flatnonzero(is_assigned), assigned_arc[is_assigned]] = False
    for _ in range(n_visits + 2):
        via = np.where(not_own, cost + beta[rows], np.inf)
        alt = np.minimum(pen, via.min(axis=1))
        new_beta = beta.copy()
        np.minimum.at(new_beta, assigned_row[movable], alt[movable] - own_cost[movable])
        if np.array_equal(new_beta, beta):
            break
        beta = new_beta
    else:
        return np.full(n_visits, np.inf), False
    alpha = np.minimum(pen, (cost + beta[rows]).min(axis=1))
    # complementary slackness with the flow, checked rather than assumed
    ok = bool((beta >= 0).all())
    ok &= bool(np.allclose(alpha[is_assigned], own_cost[is_assigned] + beta[assigned_row[is_assigned]]))
    ok &= bool(np.allclose(alpha[~is_assigned], pen[~is_assigned]))
    return alpha, ok


def solve_assignment_flow(
    arc_rows: Sequence[IntArray],
    arc_costs: Sequence[IntArray],
    penalties: IntArray,
    capacity: IntArray,
    initial_k: int = 16,
    max_rounds: int = 8,
) -> FlowSolution:
    """Optimal assignment of visits to technicians.

    `arc_rows[v]`/`arc_costs[v]`: the technicians (pool rows) visit v may go to, sorted
    by cost ascending, all cheaper than `penalties[v]`. `capacity[row]`: how many visits
    that technician may take. Returns the optimum and whether it is certified optimal
    for the full arc set (it is unless `max_rounds` ran out, which tests treat as a bug).
    """
    n_visits = len(arc_rows)
    lengths = np.array([len(r) for r in arc_rows], dtype=np.int64)
    keep = np.minimum(lengths, initial_k)
    rounds = 0
    while True:
        rounds += 1
        assigned_row, assigned_arc, objective = _solve_pruned(arc_rows, arc_costs, keep, penalties, capacity)
        alpha, ok = _duals(arc_rows, arc_costs, keep, penalties, capacity, assigned_row, assigned_arc)
        next_cost = np.array(
            [arc_costs[v][keep[v]] if keep[v] < lengths[v] else np.inf for v in range(n_visits)],
            dtype=np.float64,
        )
        failing = alpha > next_cost
        complete = bool((keep == lengths).all())  # nothing pruned: optimal by definition
        if complete or (ok and not failing.any()):
            return FlowSolution(assigned_row, assigned_arc, objective, True, rounds, int(keep.sum()))
        if rounds >= max_rounds:
            return FlowSolution(assigned_row, assigned_arc, objective, False, rounds, int(keep.sum()))
        grow = failing if ok else np.ones(n_visits, dtype=bool)
        keep = np.where(grow, np.minimum(lengths, np.maximum(keep * 4, 1)), keep)
