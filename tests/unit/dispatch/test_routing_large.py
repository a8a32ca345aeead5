"""Large-day path of the planner: regret insertion + improvement by decomposition.

The property tests force the large-day path on small random instances (split shifts,
skills, certifications, capacities, pins) so every branch of the construction and of the
neighbourhood search is exercised against the independent validator.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.bench.metro import metro_day
from dispatch.geo import DetourTravelModel
from dispatch.plan_validator import check_plan
from dispatch.problem import Plan, Technician, TimeWindow, Visit
from dispatch.routing import PlannerConfig, greedy_plan, plan_day
from dispatch.routing.construct import regret_insertion
from dispatch.routing.data import build_routing_data
from dispatch.routing.greedy import greedy_sequences
from dispatch.routing.improve import improve_by_decomposition, objective
from dispatch.routing.schedule import time_sequence
from tests.unit.dispatch.routing_helpers import DAY, TRAVEL
from tests.unit.dispatch.test_routing import assert_valid, instances

# Force the large-day path on small instances; solution limits keep it reproducible.
LARGE = PlannerConfig(
    engine="ortools",
    decompose_above_visits=0,
    lns_routes=2,
    lns_solution_limit=20,
    lns_max_subproblems=6,
    lns_metaheuristic="GREEDY_DESCENT",
)


def _unplaced_penalty(data, routes) -> int:  # type: ignore[no-untyped-def]
    served = {i for seq in routes for i in seq}
    return sum(p for i, p in enumerate(data.penalty) if i not in served)


def _assert_feasible(data, routes) -> None:  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    for k, seq in enumerate(routes):
        assert time_sequence(data, k, seq).failed_at is None
        for i in seq:
            assert i not in seen
            seen.add(i)
            assert k in data.allowed[i]
            if data.pinned[i] is not None:
                assert data.pinned[i] == k


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([1, 2, 3]))
def test_regret_insertion_is_feasible(instance, regret: int) -> None:  # type: ignore[no-untyped-def]
    techs, visits = instance
    data = build_routing_data(techs, visits, DAY, TRAVEL, LARGE)
    routes, _ = regret_insertion(data, regret)
    assert len(routes) == len(data.vehicles)
    _assert_feasible(data, routes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 3))
def test_improvement_never_breaks_or_unplaces(instance, seed: int) -> None:  # type: ignore[no-untyped-def]
    techs, visits = instance
    data = build_routing_data(techs, visits, DAY, TRAVEL, LARGE)
    start = greedy_sequences(data)
    routes, stats = improve_by_decomposition(data, start, LARGE, float("inf"), seed)
    _assert_feasible(data, routes)
    assert objective(data, routes) <= objective(data, start)
    # Travel here is far below one drop penalty, so no visit is ever traded for distance.
    assert _unplaced_penalty(data, routes) <= _unplaced_penalty(data, start)
    assert stats.get("lns_subproblems", 0) <= 6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["vroom", "regret"]))
def test_large_day_plans_pass_the_validator_and_beat_greedy(instance, construct: str) -> None:  # type: ignore[no-untyped-def]
    techs, visits = instance
    config = dataclasses.replace(LARGE, construct=construct)
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=5, seed=1, config=config)
    assert_valid(plan, techs, visits)
    placed = {s.visit_id for r in plan.routes for s in r.stops}
    assert placed | set(plan.unassigned) == {v.id for v in visits}
    if dict(plan.stats)["candidate_visits"] > 0:
        assert plan.solver == ("vroom+ortools-lns" if construct == "vroom" else "ortools-lns")
    greedy = greedy_plan(techs, visits, DAY, TRAVEL, config=LARGE)
    assert plan.objective <= greedy.objective


# ---------------------------------------------------------------- a small metro day

METRO_CFG = PlannerConfig(
    engine="ortools",
    decompose_above_visits=100,
    vroom_exploration=2,
    lns_routes=6,
    lns_solution_limit=40,
    lns_max_subproblems=25,
    lns_metaheuristic="GREEDY_DESCENT",
)


def _metro() -> tuple[list[Technician], list[Visit], TimeWindow, DetourTravelModel]:
    techs, visits, day = metro_day(240, 30, seed=3)
    return techs, visits, day, DetourTravelModel()


def _stops(plan: Plan) -> list[tuple[str, tuple[str, ...]]]:
    return [(r.technician_id, tuple(s.visit_id for s in r.stops)) for r in plan.routes]


def test_metro_day_beats_greedy_and_is_reproducible() -> None:
    techs, visits, day, travel = _metro()
    plan = plan_day(techs, visits, day, travel, time_limit_s=60, seed=2, config=METRO_CFG)
    check = check_plan(plan, techs, visits, day, travel)
    assert check.violations == ()
    greedy = greedy_plan(techs, visits, day, travel, config=METRO_CFG)
    g = check_plan(greedy, techs, visits, day, travel)
    assert check.placed >= g.placed
    assert check.travel_m < g.travel_m
    stats = dict(plan.stats)
    assert stats["lns_subproblems"] == 25
    assert stats["lns_objective_after"] <= stats["lns_objective_before"]
    again = plan_day(techs, visits, day, travel, time_limit_s=60, seed=2, config=METRO_CFG)
    assert _stops(again) == _stops(plan)


def test_metro_day_replan_keeps_pins() -> None:
    techs, visits, day, travel = _metro()
    first = plan_day(techs, visits, day, travel, time_limit_s=60, seed=1, config=METRO_CFG)
    # Accepted work gets pinned; a few visits are cancelled.
    owner = {s.visit_id: r.technician_id for r in first.routes for s in r.stops}
    pinned_ids = sorted(owner)[::10]
    cancelled = set(sorted(owner)[5::40])
    replanned = [
        dataclasses.replace(v, pinned_to=owner[v.id]) if v.id in pinned_ids else v
        for v in visits
        if v.id not in cancelled
    ]
    plan = plan_day(techs, replanned, day, travel, time_limit_s=60, seed=1, previous=first, config=METRO_CFG)
    check = check_plan(plan, techs, replanned, day, travel, require_pins=True)
    assert check.violations == ()
    assert check.placed >= len(owner) - len(cancelled) - 2


def test_two_workers_give_valid_reproducible_plans() -> None:
    techs, visits, day, travel = _metro()
    cfg = dataclasses.replace(METRO_CFG, lns_workers=2, lns_max_subproblems=12)
    plan = plan_day(techs, visits, day, travel, time_limit_s=60, seed=4, config=cfg)
    assert check_plan(plan, techs, visits, day, travel).violations == ()
    assert dict(plan.stats)["lns_subproblems"] == 12
    again = plan_day(techs, visits, day, travel, time_limit_s=60, seed=4, config=cfg)
    assert _stops(again) == _stops(plan)
