"""Local re-planning keeps pins, never assigns a wrong skill and leaves far routes alone."""

from __future__ import annotations

import random

import pytest

from dispatch.bench.metro import metro_day
from dispatch.bench.replan import EVENTS, _pinned, apply_event
from dispatch.geo import DetourTravelModel
from dispatch.plan_validator import check_plan
from dispatch.problem import Plan
from dispatch.routing import plan_day
from dispatch.routing.local_replan import replan_locally

TRAVEL = DetourTravelModel()


@pytest.fixture(scope="module")
def planned_day() -> tuple:
    techs, visits, day = metro_day(120, 16, seed=3)
    base = plan_day(techs, visits, day, TRAVEL, time_limit_s=3.0, seed=3)
    visits = _pinned(visits, base, 0.3, random.Random(3))
    return techs, visits, day, base


@pytest.mark.parametrize("kind", EVENTS)
def test_a_repair_is_valid_keeps_pins_and_leaves_untouched_routes_as_they_were(
    planned_day: tuple, kind: str
) -> None:
    techs, visits, day, base = planned_day
    e_techs, e_visits, change = apply_event(kind, techs, visits, base, day, random.Random(kind))
    plan = replan_locally(
        e_techs, e_visits, day, TRAVEL, base, change, time_limit_s=1.0, seed=1, neighbours=3
    )

    check = check_plan(plan, e_techs, e_visits, day, TRAVEL, require_pins=True, require_placement=False)
    assert check.violations == ()  # skills, certificates, shifts, windows, pins, every visit accounted
    stats = dict(plan.stats)
    assert 0 < stats["touched_routes"] < len(e_techs)
    before = {r.technician_id: r for r in base.routes}
    kept = [r for r in plan.routes if r == before.get(r.technician_id)]
    assert len(kept) >= stats["kept_routes"]
    assert {r.technician_id for r in plan.routes} == {t.id for t in e_techs}
    if kind == "emergency":  # placed, or no route in the repaired day has room for it
        assert "emergency" not in plan.unassigned or "emergency" not in check.placeable


def test_a_wrong_skill_is_never_used_even_when_it_is_the_only_one_near(planned_day: tuple) -> None:
    techs, visits, day, base = planned_day
    e_techs, e_visits, change = apply_event("emergency", techs, visits, base, day, random.Random(11))
    urgent = next(v for v in e_visits if v.id == "emergency")
    trade = urgent.skills[0].code
    # nobody nearby can do it: only technicians without the trade stay
    unable = [t for t in e_techs if t.skill_level(trade) == 0]
    plan = replan_locally(
        unable,
        e_visits,
        day,
        TRAVEL,
        Plan(routes=tuple(r for r in base.routes if r.technician_id in {t.id for t in unable})),
        change,
        time_limit_s=0.5,
        seed=1,
    )
    assert "emergency" in plan.unassigned
    assert check_plan(plan, unable, e_visits, day, TRAVEL, require_placement=False).violations == ()
