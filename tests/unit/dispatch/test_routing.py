"""Day planner (dispatch.routing): every plan passes the independent validator."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.plan_validator import check_plan, validate_plan
from dispatch.problem import Certification, Plan, Priority, SkillRequirement, Stop, TimeWindow
from dispatch.routing import PlannerConfig, greedy_plan, plan_day
from tests.unit.dispatch.routing_helpers import DAY, TRAVEL, brute_force, tech, visit

FAST = PlannerConfig(engine="ortools")


def assert_valid(
    plan: Plan, techs, visits, day=DAY, now=None, require_pins=False, require_placement=True
) -> None:  # type: ignore[no-untyped-def]
    violations = validate_plan(
        plan,
        techs,
        visits,
        day,
        TRAVEL,
        now=now,
        require_pins=require_pins,
        require_placement=require_placement,
    )
    assert violations == [], [str(v) for v in violations]
    assert dict(plan.stats)["repaired_visits"] == 0


# ---------------------------------------------------------------- property: always valid


@st.composite
def instances(draw):  # type: ignore[no-untyped-def]
    n_techs = draw(st.integers(1, 3))
    n_visits = draw(st.integers(0, 8))
    coord = st.integers(0, 2000)
    codes = ("a", "b")
    techs = []
    for k in range(n_techs):
        start = draw(st.integers(0, 3000))
        if draw(st.booleans()):
            shifts = (TimeWindow(start, start + 4000),)
        else:  # split shift with an off-shift gap
            shifts = (TimeWindow(start, start + 2000), TimeWindow(start + 3000, start + 6000))
        skills = tuple((c, draw(st.integers(1, 3))) for c in codes if draw(st.booleans()))
        techs.append(
            dataclasses.replace(
                tech(f"t{k}", draw(coord), draw(coord)),
                shifts=shifts,
                skills=skills,
                certifications=(Certification("gas", draw(st.sampled_from([None, 3000, 6000]))),)
                if draw(st.booleans())
                else (),
                capacity=draw(st.sampled_from([None, 3, 10])),
                max_visits_per_day=draw(st.sampled_from([None, 2, 4])),
            )
        )
    visits = []
    for i in range(n_visits):
        ws = draw(st.integers(0, 6000))
        wl = draw(st.integers(1, 6000))
        req = tuple(
            SkillRequirement(c, draw(st.integers(1, 3))) for c in codes if draw(st.integers(0, 3)) == 0
        )
        pinned = (
            draw(st.sampled_from([None, *[t.id for t in techs]])) if draw(st.integers(0, 4)) == 0 else None
        )
        visits.append(
            visit(
                f"v{i}",
                draw(coord),
                draw(coord),
                window=(ws, ws + wl),
                duration=draw(st.integers(0, 800)),
                skills=req,
                certifications=("gas",) if draw(st.integers(0, 4)) == 0 else (),
                priority=draw(st.sampled_from(list(Priority))),
                demand=draw(st.integers(0, 3)),
                pinned_to=pinned,
            )
        )
    return techs, visits


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["ortools", "greedy"]))
def test_every_plan_passes_the_validator(instance, engine) -> None:  # type: ignore[no-untyped-def]
    techs, visits = instance
    if engine == "greedy":
        plan = greedy_plan(techs, visits, DAY, TRAVEL)
    else:
        config = PlannerConfig(engine="ortools", iteration_limit=50)
        plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, seed=1, config=config)
    assert_valid(plan, techs, visits)
    placed = {s.visit_id for r in plan.routes for s in r.stops}
    assert placed | set(plan.unassigned) == {v.id for v in visits}


# ---------------------------------------------------------------- optimality on tiny cases


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_tiny_instances_are_solved_to_optimum(seed: int) -> None:
    import random

    rng = random.Random(seed)
    techs = [tech(f"t{k}", rng.randint(0, 1000), rng.randint(0, 1000), shift=(0, 4000)) for k in range(2)]
    visits = []
    for i in range(6):
        ws = rng.randint(0, 2500)
        visits.append(
            visit(
                f"v{i}", rng.randint(0, 1000), rng.randint(0, 1000), window=(ws, ws + rng.randint(200, 2000))
            )
        )
    config = PlannerConfig(engine="ortools", drop_penalty=3000)  # dropping is sometimes right
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=1.0, seed=0, config=config)
    assert_valid(plan, techs, visits, require_placement=False)
    assert plan.objective == brute_force(techs, visits, config)


def test_single_technician_tsp_optimum() -> None:
    techs = [tech("t", 0, 0)]
    visits = [
        visit(f"v{i}", x, y)
        for i, (x, y) in enumerate([(0, 1000), (1000, 1000), (1000, 0), (500, 1200), (200, 300)])
    ]
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=1.0, seed=0, config=FAST)
    assert_valid(plan, techs, visits)
    assert plan.objective == brute_force(techs, visits, FAST)
    assert not plan.unassigned


# ---------------------------------------------------------------- business rules


def test_skills_and_certifications_are_never_violated() -> None:
    near = tech("near", 0, 0, skills=(("hvac", 1),))
    far = tech(
        "far", 5000, 5000, skills=(("hvac", 3), ("gas", 1)), certifications=(Certification("gas_safe"),)
    )
    expired = tech("expired", 0, 0, skills=(("hvac", 3),), certifications=(Certification("gas_safe", 10),))
    visits = [
        visit("needs_level", 10, 10, skills=(SkillRequirement("hvac", 2),)),
        visit("needs_cert", 20, 20, certifications=("gas_safe",)),
        visit("easy", 30, 30, skills=(SkillRequirement("hvac", 1),)),
    ]
    techs = [near, far, expired]
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, seed=0, config=FAST)
    assert_valid(plan, techs, visits)
    owner = {s.visit_id: r.technician_id for r in plan.routes for s in r.stops}
    assert owner["needs_level"] in {"far", "expired"}
    assert owner["needs_cert"] == "far"
    assert not plan.unassigned


def test_unqualified_only_means_unassigned() -> None:
    techs = [tech("t", 0, 0)]
    visits = [visit("v", 10, 10, skills=(SkillRequirement("roofing", 1),))]
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.2, seed=0, config=FAST)
    assert plan.unassigned == ("v",)
    assert_valid(plan, techs, visits)


def test_pinned_visits_stay_with_their_technician() -> None:
    techs = [tech("near", 0, 0), tech("far", 3000, 0)]
    visits = [visit("pinned", 10, 0, pinned_to="far"), visit("free", 20, 0)]
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, seed=0, config=FAST)
    assert_valid(plan, techs, visits, require_pins=True)
    owner = {s.visit_id: r.technician_id for r in plan.routes for s in r.stops}
    assert owner["pinned"] == "far"  # although "near" is 3 km closer
    assert "free" in owner


def test_split_shift_gap_is_not_used_for_service() -> None:
    t = dataclasses.replace(tech("t", 0, 0), shifts=(TimeWindow(0, 1000), TimeWindow(3000, 6000)))
    visits = [visit("v", 100, 0, window=(500, 5000), duration=800)]
    plan = plan_day([t], visits, DAY, TRAVEL, time_limit_s=0.3, seed=0, config=FAST)
    assert_valid(plan, [t], visits)
    (stop,) = plan.routes[0].stops
    assert stop.arrival >= 3000  # 500..1300 would cross the end of the first shift


def test_capacity_and_max_visits() -> None:
    techs = [
        dataclasses.replace(tech("a", 0, 0), capacity=5),
        dataclasses.replace(tech("b", 0, 0), max_visits_per_day=1),
    ]
    visits = [visit(f"v{i}", 10 * i, 0, demand=3) for i in range(3)]
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, seed=0, config=FAST)
    assert_valid(plan, techs, visits)
    assert len(plan.unassigned) == 1  # a takes one (3 <= 5 < 6), b takes one


def test_priority_wins_when_not_everything_fits() -> None:
    techs = [tech("t", 0, 0, shift=(0, 1500))]
    visits = [
        visit("low", 100, 0, window=(0, 1000), duration=1000, priority=Priority.LOW),
        visit("emergency", 0, 100, window=(0, 1000), duration=1000, priority=Priority.EMERGENCY),
    ]
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, seed=0, config=FAST)
    assert_valid(plan, techs, visits)
    assert plan.unassigned == ("low",)


def test_same_seed_same_plan() -> None:
    techs = [tech(f"t{k}", 300 * k, 0) for k in range(3)]
    visits = [visit(f"v{i}", (i * 397) % 1500, (i * 711) % 1500) for i in range(15)]
    config = PlannerConfig(engine="ortools", iteration_limit=200)
    a = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=5, seed=7, config=config)
    b = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=5, seed=7, config=config)
    assert a.routes == b.routes and a.objective == b.objective
    assert_valid(a, techs, visits)


# ---------------------------------------------------------------- re-planning


def test_warm_start_replan_after_cancellation_and_emergency() -> None:
    techs = [tech(f"t{k}", 500 * k, 0, shift=(0, 20_000)) for k in range(3)]
    visits = [visit(f"v{i}", (i * 397) % 2000, (i * 711) % 2000, duration=300) for i in range(20)]
    first = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=0.5, seed=1, config=FAST)
    assert_valid(first, techs, visits)

    owner = {s.visit_id: r.technician_id for r in first.routes for s in r.stops}
    # v0 was accepted (pinned); v1 is cancelled; an emergency arrives with a tight window.
    changed = [
        dataclasses.replace(v, pinned_to=owner["v0"]) if v.id == "v0" else v for v in visits if v.id != "v1"
    ]
    changed.append(
        visit("emergency", 1000, 1000, window=(0, 3000), duration=300, priority=Priority.EMERGENCY)
    )
    second = plan_day(techs, changed, DAY, TRAVEL, time_limit_s=0.5, seed=1, previous=first, config=FAST)
    assert_valid(second, techs, changed, require_pins=True)
    stats = dict(second.stats)
    assert stats["warm_start"] == 1
    new_owner = {s.visit_id: r.technician_id for r in second.routes for s in r.stops}
    assert new_owner["v0"] == owner["v0"]
    assert "emergency" in new_owner and "v1" not in new_owner


def test_replan_during_the_day_starts_from_current_position() -> None:
    t = dataclasses.replace(tech("t", 0, 0), location=tech("x", 1000, 0).home)
    visits = [visit("past", 10, 0, window=(0, 500)), visit("later", 1100, 0, window=(0, 9000))]
    plan = plan_day([t], visits, DAY, TRAVEL, time_limit_s=0.3, seed=0, now=2000, config=FAST)
    assert_valid(plan, [t], visits, now=2000)
    assert plan.unassigned == ("past",)
    assert plan.routes[0].start >= 2000
    assert plan.routes[0].stops[0].travel_m == 100


def test_greedy_takes_visits_first_come() -> None:
    techs = [tech("t", 0, 0, shift=(0, 1000))]
    visits = [visit("first", 100, 0, duration=700), visit("second", 0, 100, duration=700)]
    plan = greedy_plan(techs, visits, DAY, TRAVEL)
    assert_valid(plan, techs, visits)
    assert plan.unassigned == ("second",)


# ---------------------------------------------------------------- the validator itself


def test_validator_catches_broken_plans() -> None:
    techs = [tech("t", 0, 0, skills=(("hvac", 1),), shift=(0, 5000))]
    v = visit("v", 100, 0, window=(0, 1000), skills=(SkillRequirement("hvac", 2),))
    good_stop = Stop("v", arrival=100, departure=200, travel_s=100, travel_m=100)
    from dispatch.problem import Route

    def codes(route: Route, unassigned: tuple[str, ...] = ()) -> set[str]:
        return {
            x.code
            for x in validate_plan(Plan(routes=(route,), unassigned=unassigned), techs, [v], DAY, TRAVEL)
        }

    base = Route("t", (good_stop,), start=0, end=300, travel_m=200, travel_s=200)
    assert codes(base) == {"missing_skill"}
    late = dataclasses.replace(good_stop, arrival=1000, departure=1100)
    assert "outside_window" in codes(dataclasses.replace(base, stops=(late,), end=1200))
    too_soon = dataclasses.replace(good_stop, arrival=50, departure=150)
    assert "arrives_too_early" in codes(dataclasses.replace(base, stops=(too_soon,)))
    assert "route_travel_mismatch" in codes(dataclasses.replace(base, travel_m=1))
    assert "ends_after_shift" in codes(dataclasses.replace(base, end=6000))
    assert "assigned_and_unassigned" in codes(base, unassigned=("v",))
    twice = dataclasses.replace(
        base,
        stops=(good_stop, dataclasses.replace(good_stop, arrival=200, departure=300, travel_s=0, travel_m=0)),
    )
    assert "duplicate_visit" in codes(twice)
    check = check_plan(Plan(routes=(base,)), techs, [v], DAY, TRAVEL)
    assert check.travel_m == 200


def test_pyvrp_engine() -> None:
    techs = [tech(f"t{k}", 500 * k, 0, skills=(("a", 1),) if k else ()) for k in range(3)]
    visits = [
        visit(
            f"v{i}",
            (i * 397) % 2000,
            (i * 711) % 2000,
            duration=300,
            skills=(SkillRequirement("a", 1),) if i % 3 == 0 else (),
        )
        for i in range(20)
    ]
    config = PlannerConfig(engine="pyvrp", iteration_limit=300)
    plan = plan_day(techs, visits, DAY, TRAVEL, time_limit_s=2, seed=1, config=config)
    assert plan.solver == "pyvrp"
    assert_valid(plan, techs, visits)
    assert not plan.unassigned


def test_unknown_engine_is_rejected() -> None:
    with pytest.raises(ValueError):
        plan_day(
            [tech("t")],
            [visit("v", 1, 1)],
            DAY,
            TRAVEL,
            time_limit_s=0.1,
            config=PlannerConfig(engine="nope"),
        )


def test_duplicate_visit_ids_are_rejected() -> None:
    with pytest.raises(ValueError):
        plan_day([tech("t")], [visit("v", 1, 1), visit("v", 2, 2)], DAY, TRAVEL, time_limit_s=0.1)


def test_the_engines_the_planner_chooses_are_installed_in_production() -> None:
    """`auto` picks PyVRP when it can express the day, so PyVRP must be a runtime dependency:
    otherwise a production install would plan with another engine than the tests."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())["project"]
    runtime = {
        dep.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip() for dep in project["dependencies"]
    }
    assert {"ortools", "pyvrp"} <= runtime
