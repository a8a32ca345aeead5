"""The day planner's fairness surcharge: work leans toward technicians who have had less of
it recently, as far as the surcharge outweighs the extra driving, and no further."""

from __future__ import annotations

import dataclasses

import pytest

from dispatch.plan_validator import validate_plan
from dispatch.problem import Plan
from dispatch.routing import PlannerConfig, plan_day
from dispatch.routing.data import build_routing_data, work_surcharges
from tests.unit.dispatch.routing_helpers import DAY, TRAVEL, tech, visit

# A job of one hour, 1,000 m from the busy technician and 1,400 m from the quiet one.
BUSY = tech("busy", 0, 0, recent_work_share=0.30)
QUIET = tech("quiet", 2400, 0, recent_work_share=0.10)
JOB = visit("job", 1000, 0, duration=3600)


def owner(plan: Plan, visit_id: str) -> str:
    return next(r.technician_id for r in plan.routes if any(s.visit_id == visit_id for s in r.stops))


def planned(config: PlannerConfig, techs=(BUSY, QUIET), visits=(JOB,)) -> Plan:  # type: ignore[no-untyped-def]
    plan = plan_day(list(techs), list(visits), DAY, TRAVEL, time_limit_s=1, config=config)
    assert validate_plan(plan, list(techs), list(visits), DAY, TRAVEL) == []
    return plan


@pytest.mark.parametrize("engine", ["ortools", "auto"])
def test_the_surcharge_moves_work_to_the_quiet_technician_only_when_it_outweighs_the_detour(
    engine: str,
) -> None:
    # 20 points above the quiet one; the round trip is 2,000 m for busy and 2,800 m for quiet
    off = PlannerConfig(engine=engine)
    assert owner(planned(off), "job") == "busy"
    # 60 cost units per point and hour: 1,200 for the hour's job, more than the 800 m detour
    fair = dataclasses.replace(off, fairness_per_pct_hour=60)
    plan = planned(fair)
    assert owner(plan, "job") == "quiet"
    assert dict(plan.stats)["fairness_cost"] == 0  # the quiet technician pays nothing
    # 30 per point and hour: 600, less than the detour, so the nearer technician keeps it
    assert owner(planned(dataclasses.replace(off, fairness_per_pct_hour=30)), "job") == "busy"


def test_surcharges_count_points_above_the_least_loaded_per_minute_of_service() -> None:
    cfg = PlannerConfig(fairness_per_pct_hour=60)
    others = tech("mid", 0, 0, recent_work_share=0.15)
    assert work_surcharges([BUSY, QUIET, others], cfg) == [20, 0, 5]
    assert work_surcharges([BUSY, QUIET], PlannerConfig()) == [0, 0]
    data = build_routing_data([BUSY, QUIET], [JOB], DAY, TRAVEL, cfg)
    assert data.work_cost(0, [0]) == 20 * 60 and data.work_cost(1, [0]) == 0


def test_fairness_never_drops_a_visit_and_holds_on_the_neighbourhood_search_path() -> None:
    # 30 one-hour jobs in a row between two technicians; the busy one is nearer to all of them
    jobs = [visit(f"v{i}", 100 + 20 * i, 0, duration=3600) for i in range(30)]
    techs = [tech("busy", 0, 0, recent_work_share=0.5), tech("quiet", 1500, 0, recent_work_share=0.0)]
    base = PlannerConfig(engine="ortools", decompose_above_visits=10, lns_routes=2)
    off = planned(base, techs, jobs)
    fair = planned(dataclasses.replace(base, fairness_per_pct_hour=60), techs, jobs)
    assert not off.unassigned and not fair.unassigned
    count = lambda plan, who: sum(len(r.stops) for r in plan.routes if r.technician_id == who)  # noqa: E731
    assert count(fair, "quiet") > count(off, "quiet")
