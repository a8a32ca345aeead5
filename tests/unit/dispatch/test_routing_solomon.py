"""Day planner on a Solomon subset (the first 25 customers of R101 and C101).

Optimal distances for these 25-customer instances are published (Solomon's site; Kohl et
al. 1999, one-decimal truncation): R101.25 = 617.1, C101.25 = 191.3. A 1-second OR-Tools run
must be feasible and within 2 % of them, and its plan must pass the validator.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dispatch.bench.solomon import SCALE, check, read_instance, to_problem
from dispatch.plan_validator import validate_plan
from dispatch.routing import PlannerConfig, euclidean_provider, plan_day

DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "solomon"


@pytest.mark.parametrize(("name", "optimum"), [("R101", 617.1), ("C101", 191.3)])
@pytest.mark.parametrize("engine", ["ortools", "auto"])
def test_solomon_25_customers(name: str, optimum: float, engine: str) -> None:
    full = read_instance(DATA / f"{name}.txt")
    inst = dataclasses.replace(full, nodes=full.nodes[:26])
    techs, visits, day = to_problem(inst)
    travel = euclidean_provider(scale=SCALE)
    config = PlannerConfig(engine=engine)
    plan = plan_day(techs, visits, day, travel, time_limit_s=1.0, seed=1, config=config)
    assert validate_plan(plan, techs, visits, day, travel) == []
    assert not plan.unassigned
    routes = [[int(s.visit_id) for s in r.stops] for r in plan.routes if r.stops]
    distance, problems = check(inst, routes)
    assert problems == []
    assert distance <= optimum * 1.02
