"""Batch assignment with side constraints, as a CP-SAT model.

Used only when the pure flow model cannot express a rule (DESIGN.md section 5):

* shift hours: the travel + service seconds given to a technician must fit into the
  shift time they have left (`budget[row]`); a knapsack, not a flow.
* fairness cap: no technician takes more than `max_share` of all visits assigned in the
  batch, plus one (so small batches stay feasible); couples every technician.

The model is x[v, t] for the arcs handed in (each visit's cheapest candidates, see
`dispatch.matching`), "each visit at most once", per-technician counts and the same
objective as the flow (pair costs + unassigned penalties). Constraints that cannot bind
(fewer arcs than capacity, less work than budget) are left out. The unconstrained flow
optimum is passed as a hint. One worker and a fixed seed make it deterministic;
`optimal` means proven optimal over the arcs handed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from dispatch.geo import IntArray


@dataclass(frozen=True, slots=True, eq=False)
class CpSatSolution:
    assigned_row: IntArray
    assigned_arc: IntArray
    objective: int
    optimal: bool
    status: str


def solve_assignment_cpsat(
    arc_rows: Sequence[IntArray],
    arc_costs: Sequence[IntArray],
    penalties: IntArray,
    capacity: IntArray,
    *,
    arc_load_s: Sequence[IntArray] | None = None,
    budget_s: IntArray | None = None,
    max_share: float | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    hint_arc: IntArray | None = None,
) -> CpSatSolution:
    """Solve the side-constrained assignment; `hint_arc[v]` (arc index or -1) warm-starts it."""
    n_visits = len(arc_rows)
    model = cp_model.CpModel()
    per_tech: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
    arc_vars: list[list[cp_model.IntVar]] = []
    obj_vars: list[cp_model.IntVar] = []
    obj_coeffs: list[int] = []
    for v in range(n_visits):
        row_vars = []
        for k, (row, cost) in enumerate(zip(arc_rows[v].tolist(), arc_costs[v].tolist(), strict=True)):
            x = model.new_bool_var(f"x{v}_{k}")
            row_vars.append(x)
            load = int(arc_load_s[v][k]) if arc_load_s is not None else 0
            per_tech.setdefault(row, []).append((x, load))
            obj_vars.append(x)
            obj_coeffs.append(cost)
            if hint_arc is not None:
                model.add_hint(x, k == int(hint_arc[v]))
        unassigned = model.new_bool_var(f"u{v}")
        model.add_exactly_one([*row_vars, unassigned])
        obj_vars.append(unassigned)
        obj_coeffs.append(int(penalties[v]))
        if hint_arc is not None:
            model.add_hint(unassigned, int(hint_arc[v]) < 0)
        arc_vars.append(row_vars)

    counts = {}
    for row, entries in per_tech.items():
        xs = [x for x, _ in entries]
        if len(xs) > int(capacity[row]):
            model.add(cp_model.LinearExpr.sum(xs) <= int(capacity[row]))
        counts[row] = xs
        if budget_s is not None:
            loads = [load for _, load in entries]
            if sum(loads) > int(budget_s[row]):
                model.add(cp_model.LinearExpr.weighted_sum(xs, loads) <= int(budget_s[row]))
    if max_share is not None and counts:
        # one shared `total` keeps each cap at a handful of terms (not every arc of the batch)
        total = model.new_int_var(0, n_visits, "assigned_total")
        model.add(total == cp_model.LinearExpr.sum([x for xs in counts.values() for x in xs]))
        permille = round(max_share * 1000)
        for xs in counts.values():
            model.add(1000 * cp_model.LinearExpr.sum(xs) <= permille * total + 1000)

    model.minimize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coeffs))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    assigned_row = np.full(n_visits, -1, dtype=np.int64)
    assigned_arc = np.full(n_visits, -1, dtype=np.int64)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CpSatSolution(assigned_row, assigned_arc, 0, False, solver.status_name(status))
    for v, row_vars in enumerate(arc_vars):
        for k, x in enumerate(row_vars):
            if solver.boolean_value(x):
                assigned_row[v] = int(arc_rows[v][k])
                assigned_arc[v] = k
    return CpSatSolution(
        assigned_row,
        assigned_arc,
        round(solver.objective_value),
        status == cp_model.OPTIMAL,
        solver.status_name(status),
    )
