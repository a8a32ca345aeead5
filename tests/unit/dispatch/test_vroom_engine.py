"""VROOM: the day's rules encoded for VROOM (dispatch.routing.vroom_engine), its plans
checked by the project's validator, and the planner's VROOM construction."""

from __future__ import annotations

import dataclasses
import time

from dispatch.bench.metro import metro_day
from dispatch.bench.vroom_engine import vroom_plan
from dispatch.geo import DetourTravelModel
from dispatch.plan_validator import check_plan
from dispatch.problem import Certification, Plan, SkillRequirement, Technician, TimeWindow
from dispatch.routing import PlannerConfig, plan_day
from dispatch.routing.data import RoutingData, build_routing_data
from dispatch.routing.greedy import greedy_sequences
from dispatch.routing.improve import improve_by_decomposition, objective
from dispatch.routing.planner import vroom_level
from dispatch.routing.schedule import repair
from dispatch.routing.vroom_engine import skill_sets, vroom_sequences
from tests.unit.dispatch.routing_helpers import DAY, TRAVEL, p, visit
from tests.unit.dispatch.test_routing_large import METRO_CFG


def _day() -> tuple[list[Technician], list]:  # type: ignore[type-arg]
    shift = (TimeWindow(0, 20_000),)
    techs = [
        Technician(id="A", home=p(0, 0), skills=(("hvac", 3),), shifts=shift),
        Technician(
            id="B",
            home=p(0, 0),
            skills=(("hvac", 1), ("plumbing", 2)),
            certifications=(Certification("gas_safe", expires_at=5_000),),
            shifts=shift,
            max_visits_per_day=1,
        ),
        Technician(
            id="C",
            home=p(0, 0),
            skills=(("plumbing", 1),),
            shifts=(TimeWindow(0, 3_000), TimeWindow(6_000, 20_000)),
        ),
    ]
    visits = [
        # level 2 hvac: only A (B is level 1)
        visit("level", 100, 0, skills=(SkillRequirement("hvac", 2),)),
        # gas certificate needed through 2,099: B's expires at 5,000, so B (A, C lack plumbing/cert)
        visit(
            "cert_early",
            200,
            0,
            window=(1_000, 2_000),
            skills=(SkillRequirement("plumbing"),),
            certifications=("gas_safe",),
        ),
        # certificate needed through 6,099: B's has expired by then, nobody else holds one
        visit(
            "cert_late",
            200,
            0,
            window=(1_000, 6_000),
            skills=(SkillRequirement("plumbing"),),
            certifications=("gas_safe",),
        ),
        # plumbing that does not fit C's morning shift: B is full, so C after the gap
        visit("gap", 300, 0, window=(2_500, 7_000), duration=1_000, skills=(SkillRequirement("plumbing"),)),
        # any hvac in a tight window: B is full, so A
        visit("window", 400, 0, window=(8_000, 8_500), skills=(SkillRequirement("hvac"),)),
    ]
    return techs, visits


def _where(plan: Plan) -> dict[str, tuple[str, int]]:
    return {s.visit_id: (r.technician_id, s.arrival) for r in plan.routes for s in r.stops}


def test_levels_are_ladders_and_certificates_are_valid_through_the_visit_end() -> None:
    techs, visits = _day()
    data = build_routing_data(techs, visits, DAY, TRAVEL, PlannerConfig(candidate_places=None))
    vehicle_skills, visit_skills = skill_sets(data)
    index = {v.id: i for i, v in enumerate(data.visits)}
    a, b, c = vehicle_skills
    assert visit_skills[index["level"]] <= a
    assert not visit_skills[index["level"]] <= b
    assert visit_skills[index["cert_early"]] <= b
    assert not visit_skills[index["cert_early"]] <= c
    assert visit_skills[index["window"]] <= a and visit_skills[index["window"]] <= b
    assert "cert_late" not in index  # nobody qualifies: filtered before any engine sees it


def test_vroom_plan_obeys_skills_levels_certificates_breaks_and_windows() -> None:
    techs, visits = _day()
    plan = vroom_plan(techs, visits, DAY, TRAVEL, time_limit_s=2.0, threads=1)
    check = check_plan(plan, techs, visits, DAY, TRAVEL)
    assert check.violations == (), [str(v) for v in check.violations]
    where = _where(plan)
    assert where["level"][0] == "A"
    assert where["cert_early"][0] == "B"
    assert "cert_late" in plan.unassigned and "cert_late" not in where
    assert where["gap"][0] == "C" and where["gap"][1] >= 6_000
    assert where["window"][0] == "A" and 8_000 <= where["window"][1] < 8_500
    assert plan.solver == "vroom"


# ------------------------------------------------- VROOM as the planner's construction


def test_the_exploration_level_is_the_highest_expected_to_finish_in_the_budget() -> None:
    # 300 visits: level 4 takes about 4.4 s, so a 10 s budget (8 s with the fifth in hand)
    # gets level 4 and a 5 s budget level 3.
    assert vroom_level(300, 10.0) == 4
    assert vroom_level(300, 5.0) == 3
    assert vroom_level(300, 60.0) == 5
    assert vroom_level(1_000, 6.0) == 0
    # past 600 visits the start stays at level 0 and leaves the time to the search
    assert vroom_level(1_000, 60.0) == 0
    # 2,000 visits: even level 0 needs far more than 10 s, so regret insertion starts.
    assert vroom_level(2_000, 10.0) is None
    # and a day that big starts from regret insertion whatever the budget
    assert vroom_level(2_000, 600.0) is None


# the reproducible large-day search (solution limits), from a level-2 VROOM start
METRO_VROOM = dataclasses.replace(METRO_CFG, lns_max_subproblems=10)


def test_large_days_start_from_vroom_keep_pins_and_qualifications() -> None:
    techs, visits, day = metro_day(160, 20, seed=5)
    travel = DetourTravelModel()
    first = plan_day(techs, visits, day, travel, time_limit_s=60, seed=1, config=METRO_VROOM)
    owner = {s.visit_id: r.technician_id for r in first.routes for s in r.stops}
    pinned = set(sorted(owner)[::7])
    day_with_pins = [dataclasses.replace(v, pinned_to=owner[v.id]) if v.id in pinned else v for v in visits]
    plan = plan_day(techs, day_with_pins, day, travel, time_limit_s=60, seed=1, config=METRO_VROOM)
    stats = dict(plan.stats)
    assert plan.solver == "vroom+ortools-lns"
    assert stats["vroom_exploration"] == 2
    # VROOM's breaks are stricter than the planner's shift gaps: every route it returns is
    # one the planner can time as it stands.
    assert stats["vroom_repaired"] == 0
    assert stats["lns_objective_after"] <= stats["lns_objective_before"]
    check = check_plan(plan, techs, day_with_pins, day, travel, require_pins=True)
    assert check.violations == (), [str(v) for v in check.violations]
    again = plan_day(techs, day_with_pins, day, travel, time_limit_s=60, seed=1, config=METRO_VROOM)
    assert [(r.technician_id, [s.visit_id for s in r.stops]) for r in again.routes] == [
        (r.technician_id, [s.visit_id for s in r.stops]) for r in plan.routes
    ]


def _kick_day() -> tuple[RoutingData, PlannerConfig, list[list[int]]]:
    techs, visits, day = metro_day(80, 10, seed=2)
    cfg = PlannerConfig(engine="ortools", lns_routes=1, lns_subproblem_seconds=0.02)
    data = build_routing_data(techs, visits, day, DetourTravelModel(), cfg)
    return data, cfg, greedy_sequences(data)


def test_a_kick_that_finds_a_better_plan_is_kept() -> None:
    data, cfg, start = _kick_day()
    # One route per neighbourhood: the search alone can only reorder each technician's own
    # visits, never move one to another technician; VROOM's search from the same routes can.
    better = [repair(data, k, seq)[0] for k, seq in enumerate(solve_vroom_from(data, cfg, start))]
    calls: list[list[list[int]]] = []

    def kick(routes: list[list[int]], seconds: float) -> list[list[int]]:
        calls.append([list(seq) for seq in routes])
        return better

    routes, stats = improve_by_decomposition(data, start, cfg, time.perf_counter() + 3.0, 0, kick=kick)
    assert calls, "the queue emptied with time left, so the kick ran"
    assert objective(data, better) < objective(data, calls[0])
    assert stats["lns_kicks_kept"] >= 1
    assert objective(data, routes) <= objective(data, better)


def test_a_kick_that_loses_a_visit_is_refused() -> None:
    data, cfg, start = _kick_day()

    def kick(routes: list[list[int]], seconds: float) -> list[list[int]]:
        worse = [list(seq) for seq in routes]
        longest = max(range(len(worse)), key=lambda k: len(worse[k]))
        worse[longest].pop()
        return worse

    routes, stats = improve_by_decomposition(data, start, cfg, time.perf_counter() + 2.0, 0, kick=kick)
    assert stats["lns_kicks"] >= 1 and stats["lns_kicks_kept"] == 0
    assert sum(map(len, routes)) >= sum(map(len, start))
    assert objective(data, routes) <= objective(data, start)


def solve_vroom_from(data: RoutingData, cfg: PlannerConfig, routes: list[list[int]]) -> list[list[int]]:
    return vroom_sequences(data, dataclasses.replace(cfg, vroom_exploration=5), None, initial=routes)
