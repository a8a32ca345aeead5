"""The technician neighbourhood never costs placeable work.

Each visit may only go to technicians starting from one of its nearest start *places*; a
place is a start point together with the start points close to it, so technicians sharing a
depot, a yard or a block of flats all stay candidates. Whatever a solver leaves unplaced is
offered to every qualified technician afterwards, and the validator reports any unplaced
visit that some technician's route could still take.
"""

from __future__ import annotations

import dataclasses
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.plan_validator import check_plan
from dispatch.problem import Plan, Route, SkillRequirement, Stop, TimeWindow
from dispatch.routing import PlannerConfig, greedy_plan, plan_day
from dispatch.routing.data import build_routing_data
from dispatch.routing.leftovers import place_leftovers
from tests.unit.dispatch.routing_helpers import DAY, TRAVEL, p, tech, visit


def test_technicians_sharing_a_depot_are_all_candidates() -> None:
    techs = [tech(f"d{k}", 0, 0) for k in range(40)] + [tech(f"far{k}", 5000 + 1000 * k, 0) for k in range(5)]
    visits = [visit(f"v{i}", 100 * i, 50) for i in range(5)]
    data = build_routing_data(techs, visits, DAY, TRAVEL, PlannerConfig(candidate_places=3))
    for ks in data.allowed:
        names = {data.vehicles[k].tech.id for k in ks}
        assert {f"d{k}" for k in range(40)} <= names
        assert names == {f"d{k}" for k in range(40)} | {"far0", "far1"}  # three places: depot, far0, far1


def test_start_points_a_few_metres_apart_are_one_place() -> None:
    near = [tech(f"n{k}", 7 * k, 0) for k in range(10)]  # within 63 m of each other
    apart = [tech(f"a{k}", 1000 * (k + 1), 0) for k in range(3)]
    config = PlannerConfig(candidate_places=2, same_place_m=100)
    data = build_routing_data(near + apart, [visit("v", 0, 10)], DAY, TRAVEL, config)
    names = {data.vehicles[k].tech.id for k in data.allowed[0]}
    assert names == {f"n{k}" for k in range(10)} | {"a0"}
    tight = build_routing_data(
        near + apart, [visit("v", 0, 10)], DAY, TRAVEL, dataclasses.replace(config, same_place_m=5)
    )
    assert len(tight.allowed[0]) == 2
    assert data.eligible[0] == list(range(13))


def _depot_day(n: int) -> tuple[list, list]:  # type: ignore[type-arg]
    """``n`` technicians at one depot and ``n`` visits at the same hour: everyone works."""
    techs = [tech(f"t{k:02d}", 0, 0, shift=(0, 10_000)) for k in range(n)]
    visits = [
        visit(f"v{i:02d}", 50 * (i % 7), 50 * (i // 7), window=(1000, 1400), duration=3000) for i in range(n)
    ]
    return techs, visits


def test_a_depot_day_that_needs_more_than_thirty_technicians_is_served_in_full() -> None:
    techs, visits = _depot_day(40)
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=2, seed=1)
    check = check_plan(plan, techs, visits, DAY, TRAVEL)
    assert check.violations == ()
    assert plan.unassigned == ()
    assert sum(1 for r in plan.routes if r.stops) == 40


def test_the_large_day_path_serves_a_depot_day_in_full() -> None:
    techs, visits = _depot_day(40)
    config = PlannerConfig(
        engine="ortools",
        decompose_above_visits=0,
        lns_solution_limit=20,
        lns_max_subproblems=4,
        candidate_places=1,
    )
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=5, seed=1, config=config)
    assert check_plan(plan, techs, visits, DAY, TRAVEL).violations == ()
    assert plan.unassigned == ()


def test_leftovers_go_to_any_qualified_technician_with_room() -> None:
    # Both visits are nearest to "near", who has time for one; "far" is outside the neighbourhood.
    techs = [tech("near", 0, 0, shift=(0, 3000)), tech("far", 3000, 0)]
    visits = [
        visit("a", 0, 100, window=(0, 2000), duration=2000),
        visit("b", 0, 120, window=(0, 9000), duration=2000),
    ]
    config = PlannerConfig(candidate_places=1, widen_unplaced=False)
    data = build_routing_data(techs, visits, DAY, TRAVEL, config)
    assert data.allowed == [[0], [0]]
    routes, stats = place_leftovers(data, [[0], []])
    assert routes == [[0], [1]]
    assert stats == {"leftovers_widened": 1.0, "leftovers_placed": 1.0}
    assert data.allowed[1] == [0, 1]

    narrow = greedy_plan(techs, visits, DAY, TRAVEL, config=config)
    assert narrow.unassigned == ("b",)
    found = check_plan(narrow, techs, visits, DAY, TRAVEL)
    assert found.placeable == ("b",)
    assert [(v.code, v.technician_id, v.visit_id) for v in found.violations] == [
        ("unassigned_but_placeable", "far", "b")
    ]
    wide = greedy_plan(techs, visits, DAY, TRAVEL, config=dataclasses.replace(config, widen_unplaced=True))
    assert wide.unassigned == ()
    assert check_plan(wide, techs, visits, DAY, TRAVEL).violations == ()


def test_a_leftover_is_not_placed_when_driving_costs_more_than_dropping_it() -> None:
    techs = [tech("t", 0, 0)]
    visits = [visit("far", 5000, 0)]
    config = PlannerConfig(engine="ortools", drop_penalty=1000)
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, config=config)
    assert plan.unassigned == ("far",)
    check = check_plan(plan, techs, visits, DAY, TRAVEL, require_placement=False)
    assert check.violations == () and check.placeable == ("far",)


# ---------------------------------------------------------------- the validator's check


def test_validator_reports_unassigned_visits_a_route_could_take() -> None:
    t = tech("t", 0, 0, shift=(0, 5000))
    a = visit("a", 100, 0, window=(0, 1000), duration=500)
    b = visit("b", 200, 0, window=(0, 5000), duration=500)
    route = Route("t", (Stop("a", 100, 600, 100, 100),), start=0, end=700, travel_m=200, travel_s=200)
    codes = [
        v.code
        for v in check_plan(Plan(routes=(route,), unassigned=("b",)), [t], [a, b], DAY, TRAVEL).violations
    ]
    assert codes == ["unassigned_but_placeable"]

    # No room: b's window closes before t could get there after a, and before a it breaks a.
    b_tight = dataclasses.replace(b, window=TimeWindow(0, 150), duration_s=900)
    check = check_plan(Plan(routes=(route,), unassigned=("b",)), [t], [a, b_tight], DAY, TRAVEL)
    assert check.violations == () and check.placeable == ()


def test_validator_respects_skills_pins_capacity_and_shift_gaps() -> None:
    base = tech("t", 0, 0, shift=(0, 5000))
    v = visit("v", 100, 0, window=(0, 5000), duration=500)
    empty = Plan(routes=(), unassigned=("v",))

    def placeable(t, x) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        return check_plan(empty, [t], [x], DAY, TRAVEL).placeable

    assert placeable(base, v) == ("v",)
    assert placeable(base, dataclasses.replace(v, skills=(SkillRequirement("gas", 1),))) == ()
    assert placeable(base, dataclasses.replace(v, pinned_to="other")) == ()
    assert placeable(dataclasses.replace(base, capacity=1), dataclasses.replace(v, demand=2)) == ()
    # Split shift 0-300 / 2000-2400: 100 s of driving fits, a 500 s service fits neither part.
    split = dataclasses.replace(base, shifts=(TimeWindow(0, 300), TimeWindow(2000, 2400)))
    assert placeable(split, v) == ()
    assert placeable(split, dataclasses.replace(v, duration_s=200)) == ("v",)
    # The way home must fit too.
    assert placeable(tech("t", 0, 0, shift=(0, 650)), v) == ()
    assert placeable(tech("t", 0, 0, shift=(0, 700)), v) == ("v",)


# ---------------------------------------------------------------- property: full plans exist, so find one


@st.composite
def shared_start_days(draw):  # type: ignore[no-untyped-def]
    """Technicians mostly at one or two shared starts, and visits built along one route per
    technician so that a plan placing every visit is known to exist."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    n_places = draw(st.integers(1, 2))
    places = [p(rng.randint(0, 3000), rng.randint(0, 3000)) for _ in range(n_places)]
    n_techs = draw(st.integers(3, 9))
    techs, visits, known = [], [], {}
    for k in range(n_techs):
        home = places[0] if rng.random() < 0.6 else rng.choice(places)
        clock, here = rng.randint(0, 2000), home
        start = clock
        route = []
        for _ in range(rng.randint(1, 3)):
            x = p(rng.randint(0, 3000), rng.randint(0, 3000))
            arrival = clock + int(TRAVEL([here, x]).seconds[0, 1])
            lo = arrival - rng.choice((300, 1500, 3600))
            vid = f"v{len(visits):02d}"
            duration = rng.randint(100, 900)
            visits.append(
                visit(
                    vid,
                    x.lat,
                    x.lng,
                    window=(max(0, lo), arrival + rng.choice((900, 1800, 3600))),
                    duration=duration,
                )
            )
            route.append(vid)
            clock, here = arrival + duration, x
        end = clock + int(TRAVEL([here, home]).seconds[0, 1]) + rng.choice((1200, 3000))
        techs.append(tech(f"t{k}", home.lat, home.lng, shift=(start, end)))
        known[f"t{k}"] = route
    rng.shuffle(visits)
    return techs, visits, known


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_start_days(), st.sampled_from(["small", "large"]))
def test_days_with_shared_starts_and_a_known_full_plan_are_served_in_full(day, path: str) -> None:  # type: ignore[no-untyped-def]
    techs, visits, _known = day
    # At most two start places and room for two: however many technicians share them, the
    # neighbourhood may not shut any of them out (a limit of two technicians would).
    config = PlannerConfig(candidate_places=2)
    if path == "large":
        config = dataclasses.replace(
            config,
            engine="ortools",
            decompose_above_visits=0,
            lns_routes=3,
            lns_solution_limit=30,
            lns_max_subproblems=6,
        )
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=1, seed=1, config=config)
    check = check_plan(plan, techs, visits, DAY, TRAVEL)
    assert check.violations == (), [str(v) for v in check.violations]
    assert plan.unassigned == ()
