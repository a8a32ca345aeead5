"""Matching visits to technicians: instant ranking for one visit, batch assignment for many.

* `rank_candidates(visit, pool, now)`: who can take this now, best first, each with its
  scored terms ("why you"), plus a reason for everyone else ("why not you").
* `assign_batch(problem)`: many open visits to many technicians at once. Pure
  assignment (each technician up to `capacity_per_technician`, each visit at most once,
  leaving a visit open costs its penalty) is a min-cost flow proved optimal
  (`dispatch.flow`). With side constraints (shift hours, fairness cap) the flow runs
  first anyway: if its optimum happens to respect them it is optimal for them too;
  otherwise CP-SAT (`dispatch.cpsat`) solves the constrained model, warm-started from
  flows re-solved with shrinking capacities (kept as the answer if CP-SAT finds nothing
  better in its time limit: solver ``flow_repaired``).

Only feasible (technician, visit) pairs from `dispatch.candidates` ever become arcs, so an
unqualified technician cannot be assigned. A visit left open comes back as
``needs_callback`` with the earliest qualified option (technician + arrival, from later
shifts or after the window), or ``no_qualified_technician`` when nobody in the pool has
the skills, certifications and service area for it.

A batch assignment does not sequence a technician's visits (that is the day planner's
job): with capacity k > 1 each pair is checked on its own. Turn on `respect_shift_hours`
to keep the total work given to a technician within their remaining shift time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from dispatch.candidates import (
    CandidateSet,
    EarliestOption,
    Evaluation,
    callback_option,
    evaluate_batch,
    find_candidates,
)
from dispatch.cpsat import solve_assignment_cpsat
from dispatch.flow import solve_assignment_flow
from dispatch.geo import DEFAULT_TRAVEL_MODEL, IntArray, TravelModel
from dispatch.pool import TechnicianPool, build_pool
from dispatch.problem import Technician, Visit
from dispatch.scoring import (
    DEFAULT_WEIGHTS,
    RankedCandidate,
    ScoreTable,
    ScoreWeights,
    TermValue,
    explain_exclusion,
    score_feasible,
    why_not,
)
from dispatch.visit_columns import visit_columns


class Outcome(StrEnum):
    RANKED = "ranked"
    ASSIGNED = "assigned"
    NEEDS_CALLBACK = "needs_callback"
    NO_QUALIFIED_TECHNICIAN = "no_qualified_technician"


def _as_pool(technicians: TechnicianPool | Sequence[Technician]) -> TechnicianPool:
    return technicians if isinstance(technicians, TechnicianPool) else build_pool(technicians)


def _ranked(
    pool: TechnicianPool,
    visit: Visit,
    feasible: Evaluation,
    table: ScoreTable,
    i: int,
    rank: int,
    weights: ScoreWeights,
) -> RankedCandidate:
    tech = pool.technicians[int(feasible.rows[i])]
    arrival = int(feasible.arrival[i])
    terms = tuple(
        TermValue(name, float(table.values[name][i]), weight, int(table.contributions[name][i]))
        for name, weight in weights.term_weights
    )
    return RankedCandidate(
        technician_id=tech.id,
        rank=rank,
        cost=int(table.cost[i]),
        arrival=arrival,
        travel_s=int(feasible.travel_s[i]),
        travel_m=int(feasible.travel_m[i]),
        terms=terms,
        rating_average=tech.rating_sum / tech.rating_count if tech.rating_count else None,
        rating_count=tech.rating_count,
        sla_slack_s=None if visit.sla_due_at is None else visit.sla_due_at - arrival - visit.duration_s,
    )


@dataclass(frozen=True, slots=True, eq=False)
class Ranking:
    visit: Visit
    status: Outcome  # RANKED, NEEDS_CALLBACK or NO_QUALIFIED_TECHNICIAN
    candidates: tuple[RankedCandidate, ...]  # best first, at most `limit`
    feasible_count: int
    earliest_option: EarliestOption | None
    candidate_set: CandidateSet
    feasible: Evaluation
    order: IntArray  # positions into `feasible`, best first
    table: ScoreTable
    weights: ScoreWeights

    def candidate(self, technician_id: str) -> RankedCandidate | None:
        """The ranked entry of any feasible technician (also beyond `limit`)."""
        feasible = self.feasible
        pos = np.flatnonzero(self.order == _position(feasible, self.candidate_set.pool.row_of[technician_id]))
        if not len(pos):
            return None
        i = int(self.order[pos[0]])
        return _ranked(
            self.candidate_set.pool, self.visit, feasible, self.table, i, int(pos[0]) + 1, self.weights
        )

    def reason_for(self, technician_id: str) -> str | None:
        """Machine reason a technician is excluded; None when they are a candidate."""
        return self.candidate_set.reason_for(technician_id)

    def why_not(self, technician_id: str) -> str:
        """Plain words for why `technician_id` is not the first choice (never names the winner)."""
        reason = self.reason_for(technician_id)
        if reason is not None:
            return explain_exclusion(reason)
        entry = self.candidate(technician_id)
        if entry is None or not self.candidates:
            raise KeyError(technician_id)
        if entry.rank == 1:
            return "you were the first choice"
        return why_not(self.candidates[0], entry)


def _position(feasible: Evaluation, row: int) -> int:
    hit = np.flatnonzero(feasible.rows == row)
    return int(hit[0]) if len(hit) else -1


def rank_candidates(
    visit: Visit,
    technicians: TechnicianPool | Sequence[Technician],
    now: int,
    *,
    model: TravelModel = DEFAULT_TRAVEL_MODEL,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    limit: int = 10,
) -> Ranking:
    """Rank every feasible technician for `visit` at `now`; materialise the best `limit`.

    Pass a prebuilt `TechnicianPool` (``dispatch.pool.build_pool``) in production: a plain
    sequence is indexed on every call. Ties break on earlier arrival, then pool order.
    """
    pool = _as_pool(technicians)
    cs = find_candidates(pool, visit, now, model)
    feasible = cs.feasible
    table = score_feasible(pool, cs.cols, feasible, weights)
    order = np.lexsort((feasible.rows, feasible.arrival, table.cost)).astype(np.int64)
    top = order[:limit]
    candidates = tuple(
        _ranked(pool, visit, feasible, table, int(i), rank, weights) for rank, i in enumerate(top, start=1)
    )
    status, option = Outcome.RANKED, None
    if not len(feasible.rows):
        qualified, option = callback_option(pool, visit, now, model)
        status = Outcome.NEEDS_CALLBACK if qualified else Outcome.NO_QUALIFIED_TECHNICIAN
    return Ranking(
        visit=visit,
        status=status,
        candidates=candidates,
        feasible_count=len(feasible.rows),
        earliest_option=option,
        candidate_set=cs,
        feasible=feasible,
        order=order,
        table=table,
        weights=weights,
    )


# --------------------------------------------------------------------------- batch


@dataclass(frozen=True, slots=True)
class BatchOptions:
    capacity_per_technician: int = 1
    existing_load: tuple[tuple[str, int], ...] = ()  # visits already booked today, per technician
    respect_shift_hours: bool = False  # side constraint -> CP-SAT
    horizon_end: int | None = None  # shift time counted up to here (default: latest window end)
    max_share_per_technician: float | None = None  # fairness cap, side constraint -> CP-SAT
    candidates_per_visit: int = 16  # flow: initial pruning, grown until proved optimal
    cpsat_candidates_per_visit: int = 32  # CP-SAT: fixed pruning
    time_limit_s: float = 10.0
    seed: int = 0

    @property
    def needs_cpsat(self) -> bool:
        return self.respect_shift_hours or self.max_share_per_technician is not None


@dataclass(frozen=True, slots=True, eq=False)
class AssignmentProblem:
    visits: tuple[Visit, ...]
    technicians: tuple[Technician, ...]
    now: int
    model: TravelModel = DEFAULT_TRAVEL_MODEL
    weights: ScoreWeights = DEFAULT_WEIGHTS
    options: BatchOptions = field(default_factory=BatchOptions)

    def capacity(self, tech: Technician) -> int:
        """How many visits of this batch `tech` may take."""
        cap = self.options.capacity_per_technician
        if tech.max_visits_per_day is not None:
            already = dict(self.options.existing_load).get(tech.id, 0)
            cap = min(cap, tech.max_visits_per_day - already)
        return max(cap, 0)

    @property
    def horizon_end(self) -> int:
        """Shift time counts up to here: `options.horizon_end`, else the latest possible finish."""
        if self.options.horizon_end is not None:
            return self.options.horizon_end
        return max((v.window.end + v.duration_s for v in self.visits), default=self.now)

    def shift_budget_s(self, tech: Technician, horizon_end: int | None = None) -> int:
        """On-shift seconds left between `now` and the horizon."""
        horizon = self.horizon_end if horizon_end is None else horizon_end
        return sum(max(0, min(s.end, horizon) - max(s.start, self.now)) for s in tech.shifts)


@dataclass(frozen=True, slots=True)
class VisitOutcome:
    visit_id: str
    status: Outcome  # ASSIGNED, NEEDS_CALLBACK or NO_QUALIFIED_TECHNICIAN
    technician_id: str | None = None
    arrival: int | None = None
    travel_s: int = 0
    travel_m: int = 0
    cost: int = 0  # pair cost when assigned, the penalty paid when not
    earliest_option: EarliestOption | None = None
    reason: str | None = None  # why it was left open


@dataclass(frozen=True, slots=True)
class BatchResult:
    outcomes: tuple[VisitOutcome, ...]  # in the problem's visit order
    objective: int  # sum of pair costs + penalties of open visits
    solver: str  # "min_cost_flow", "cp_sat" or "flow_repaired" (CP-SAT found nothing better in time)
    optimal: bool  # flow: proved optimal over all feasible pairs; CP-SAT: over the pairs kept
    stats: tuple[tuple[str, float], ...] = ()

    @property
    def assigned(self) -> tuple[VisitOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Outcome.ASSIGNED)


@dataclass(frozen=True, slots=True, eq=False)
class Arcs:
    rows: list[IntArray]
    cost: list[IntArray]
    arrival: list[IntArray]
    travel_s: list[IntArray]
    travel_m: list[IntArray]
    had_feasible: list[bool]


def candidate_arcs(
    problem: AssignmentProblem, pool: TechnicianPool, capacity: IntArray, penalties: IntArray
) -> Arcs:
    """Every useful (visit, technician) arc, per visit, cheapest first.

    One vectorised pass over all visits' prefiltered pairs. Arcs costing at least the
    visit's penalty, or to technicians with no capacity left, can never help and are
    dropped. Ties break on earlier arrival, then pool row, as in `rank_candidates`.
    """
    n_vis = len(problem.visits)
    cols = visit_columns(pool, problem.visits)
    feasible = evaluate_batch(pool, cols, problem.now, problem.model).feasible
    table = score_feasible(pool, cols, feasible, problem.weights)
    keep = np.flatnonzero((table.cost < penalties[feasible.vis]) & (capacity[feasible.rows] > 0))
    order = keep[
        np.lexsort((feasible.rows[keep], feasible.arrival[keep], table.cost[keep], feasible.vis[keep]))
    ]
    bounds = np.searchsorted(feasible.vis[order], np.arange(n_vis + 1))

    def split(values: IntArray) -> list[IntArray]:
        ordered = values[order]
        return [ordered[bounds[v] : bounds[v + 1]] for v in range(n_vis)]

    had = np.bincount(feasible.vis, minlength=n_vis) > 0
    return Arcs(
        rows=split(feasible.rows),
        cost=split(table.cost),
        arrival=split(feasible.arrival),
        travel_s=split(feasible.travel_s),
        travel_m=split(feasible.travel_m),
        had_feasible=[bool(h) for h in had],
    )


def _repair(
    problem: AssignmentProblem,
    arcs: Arcs,
    assigned_arc: IntArray,
    budget: IntArray | None,
    penalties: IntArray,
) -> IntArray | None:
    """Make an assignment respect shift hours and the fairness cap by dropping visits.

    Returns None when it already does (then the flow optimum is optimal for the side-
    constrained problem too: it is optimal for a relaxation of it). Otherwise drops, from
    each offending technician, the visits whose loss (penalty - pair cost) is smallest
    until the constraints hold: a feasible warm start for CP-SAT and its fallback.
    """
    arc = assigned_arc.copy()
    share = problem.options.max_share_per_technician
    durations = [v.duration_s for v in problem.visits]
    changed = False
    while True:
        by_tech: dict[int, list[int]] = {}
        for v in np.flatnonzero(arc >= 0).tolist():
            by_tech.setdefault(int(arcs.rows[v][arc[v]]), []).append(v)
        total = sum(len(vs) for vs in by_tech.values())
        cap = None if share is None else (round(share * 1000) * total + 1000) // 1000
        dropped = False
        for row, vs in by_tech.items():
            vs.sort(key=lambda v: (int(penalties[v]) - int(arcs.cost[v][arc[v]]), v))
            work = sum(int(arcs.travel_s[v][arc[v]]) + durations[v] for v in vs)
            while vs and ((budget is not None and work > budget[row]) or (cap is not None and len(vs) > cap)):
                v = vs.pop(0)
                work -= int(arcs.travel_s[v][arc[v]]) + durations[v]
                arc[v] = -1
                dropped = True
        if not dropped:
            return arc if changed else None
        changed = True


def _tighten(
    problem: AssignmentProblem,
    arcs: Arcs,
    assigned_arc: IntArray,
    budget: IntArray | None,
    penalties: IntArray,
    capacity: IntArray,
    max_rounds: int = 10,
) -> IntArray | None:
    """A good feasible side-constrained assignment from flows with shrinking capacities.

    None when the flow optimum already satisfies the side constraints. Otherwise: repair
    (drop visits), lower each offender's capacity to what it kept, re-solve the flow so
    the dropped visits find other technicians, and repeat until nothing is dropped.
    Capacities only shrink, so this stops; the last repair is always feasible.
    """
    repaired = _repair(problem, arcs, assigned_arc, budget, penalties)
    if repaired is None:
        return None
    cap = capacity.copy()
    for _ in range(max_rounds):
        before = np.bincount(_rows_of(arcs, assigned_arc), minlength=len(cap))
        after = np.bincount(_rows_of(arcs, repaired), minlength=len(cap))
        cap = np.where(after < before, after, cap)
        assigned_arc = solve_assignment_flow(arcs.rows, arcs.cost, penalties, cap).assigned_arc
        again = _repair(problem, arcs, assigned_arc, budget, penalties)
        if again is None:
            return assigned_arc
        repaired = again
    return repaired


def _rows_of(arcs: Arcs, arc: IntArray) -> IntArray:
    return np.array([int(arcs.rows[v][k]) for v, k in enumerate(arc.tolist()) if k >= 0], dtype=np.int64)


def _objective(arcs: Arcs, arc: IntArray, penalties: IntArray) -> int:
    return sum(int(arcs.cost[v][k]) if k >= 0 else int(penalties[v]) for v, k in enumerate(arc.tolist()))


def assign_batch(problem: AssignmentProblem, pool: TechnicianPool | None = None) -> BatchResult:
    """Assign `problem.visits` to `problem.technicians` at minimum total cost.

    `pool` may be passed prebuilt; it must index exactly `problem.technicians`.
    """
    started = time.perf_counter()
    pool = pool if pool is not None else build_pool(problem.technicians)
    if pool.ids != tuple(t.id for t in problem.technicians):
        raise ValueError("pool does not match problem.technicians")
    opts = problem.options
    capacity = np.array([problem.capacity(t) for t in pool.technicians], dtype=np.int64)
    penalties = np.array([problem.weights.unassigned_penalty(v) for v in problem.visits], dtype=np.int64)
    arcs = candidate_arcs(problem, pool, capacity, penalties)
    prepared = time.perf_counter()

    # The flow optimum (over every feasible pair) is a lower bound for any side-constrained
    # version; when it already satisfies the side constraints it is optimal for them too.
    flow = solve_assignment_flow(
        arcs.rows, arcs.cost, penalties, capacity, initial_k=opts.candidates_per_visit
    )
    solver, optimal, assigned_arc = "min_cost_flow", flow.certified_optimal, flow.assigned_arc
    stats: list[tuple[str, float]] = [("arcs", float(flow.arcs)), ("rounds", float(flow.rounds))]
    budget = None
    if opts.respect_shift_hours:
        horizon = problem.horizon_end
        budget = np.array([problem.shift_budget_s(t, horizon) for t in pool.technicians], dtype=np.int64)
    repaired = (
        _tighten(problem, arcs, flow.assigned_arc, budget, penalties, capacity) if opts.needs_cpsat else None
    )
    if repaired is not None:
        k = opts.cpsat_candidates_per_visit
        cp = solve_assignment_cpsat(
            [r[:k] for r in arcs.rows],
            [c[:k] for c in arcs.cost],
            penalties,
            capacity,
            arc_load_s=[arcs.travel_s[v][:k] + visit.duration_s for v, visit in enumerate(problem.visits)],
            budget_s=budget,
            max_share=opts.max_share_per_technician,
            time_limit_s=opts.time_limit_s,
            seed=opts.seed,
            hint_arc=np.where(repaired < k, repaired, -1),
        )
        stats = [
            ("arcs", float(sum(len(r[:k]) for r in arcs.rows))),
            ("flow_lower_bound", float(flow.objective)),
            ("repaired_objective", float(_objective(arcs, repaired, penalties))),
        ]
        found = cp.status in ("OPTIMAL", "FEASIBLE")
        if found and cp.objective <= _objective(arcs, repaired, penalties):
            solver, assigned_arc = "cp_sat", cp.assigned_arc
            # proven over the kept arcs; globally when it meets the flow's lower bound
            optimal = cp.optimal or cp.objective == flow.objective
        else:
            solver, optimal, assigned_arc = "flow_repaired", False, repaired
    solved = time.perf_counter()

    outcomes = []
    objective = 0
    for v, visit in enumerate(problem.visits):
        k = int(assigned_arc[v])
        if k >= 0:
            cost = int(arcs.cost[v][k])
            outcomes.append(
                VisitOutcome(
                    visit_id=visit.id,
                    status=Outcome.ASSIGNED,
                    technician_id=pool.ids[int(arcs.rows[v][k])],
                    arrival=int(arcs.arrival[v][k]),
                    travel_s=int(arcs.travel_s[v][k]),
                    travel_m=int(arcs.travel_m[v][k]),
                    cost=cost,
                )
            )
        else:
            cost = int(penalties[v])
            qualified, option = callback_option(pool, visit, problem.now, problem.model)
            reason = "no_feasible_technician" if not arcs.had_feasible[v] else "feasible_technicians_taken"
            outcomes.append(
                VisitOutcome(
                    visit_id=visit.id,
                    status=Outcome.NEEDS_CALLBACK if qualified else Outcome.NO_QUALIFIED_TECHNICIAN,
                    cost=cost,
                    earliest_option=option,
                    reason=reason if qualified else "no_qualified_technician",
                )
            )
        objective += cost
    stats += [("prepare_s", prepared - started), ("solve_s", solved - prepared)]
    return BatchResult(tuple(outcomes), objective, solver, optimal, tuple(stats))
