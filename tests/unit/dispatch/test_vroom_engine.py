"""VROOM reference engine (dispatch.bench.vroom_engine): the day's rules encoded for VROOM,
its plans checked by the project's validator."""

from __future__ import annotations

import pytest

from dispatch.plan_validator import check_plan
from dispatch.problem import Certification, Plan, SkillRequirement, Technician, TimeWindow
from dispatch.routing import PlannerConfig
from dispatch.routing.data import build_routing_data
from tests.unit.dispatch.routing_helpers import DAY, TRAVEL, p, visit

pytest.importorskip("vroom")

from dispatch.bench.vroom_engine import skill_sets, vroom_plan


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
