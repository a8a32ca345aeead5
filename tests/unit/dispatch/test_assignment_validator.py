"""The validator must catch broken results, or passing it would mean nothing."""

from __future__ import annotations

import dataclasses

import pytest

from dispatch.assignment_validator import validate_assignment
from dispatch.matching import AssignmentProblem, BatchResult, Outcome, VisitOutcome, assign_batch
from dispatch.problem import Certification, SkillRequirement
from tests.unit.dispatch.match_helpers import T0, H, tech, visit


@pytest.fixture
def solved() -> tuple[AssignmentProblem, BatchResult]:
    techs = (
        tech("a", 0, 0),
        tech("b", 0, 2.0),
        tech("junior", 0, 0.5, skills=(("hvac.repair", 1),)),
        tech("gas", 0, 1.0, skills=(("gas.boiler", 2),), certs=(Certification("gas_safe", T0 + 2 * H),)),
    )
    vs = (
        visit("v0", 0, 0.3, skills=(SkillRequirement("hvac.repair", 2),)),
        visit("v1", 0, 1.8),
        visit("v2", 0, 1.0, skills=(SkillRequirement("gas.boiler", 1),), certifications=("gas_safe",)),
    )
    problem = AssignmentProblem(vs, techs, now=T0)
    result = assign_batch(problem)
    assert validate_assignment(problem, result).ok
    return problem, result


def _swap(result: BatchResult, i: int, **changes: object) -> BatchResult:
    outcomes = list(result.outcomes)
    outcomes[i] = dataclasses.replace(outcomes[i], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(result, outcomes=tuple(outcomes))


def _violations(problem: AssignmentProblem, result: BatchResult) -> str:
    return " | ".join(validate_assignment(problem, result).violations)


def test_unqualified_technician_is_caught(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    assert result.outcomes[0].technician_id != "junior"
    assert "unqualified (missing_skill:hvac.repair>=2)" in _violations(
        problem, _swap(result, 0, technician_id="junior")
    )


def test_arrival_outside_window_is_caught(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    late = problem.visits[1].window.end
    assert "outside window" in _violations(problem, _swap(result, 1, arrival=late))


def test_arrival_before_travel_is_caught(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    out = result.outcomes[1]
    assert out.arrival is not None
    assert "no shift allows" in _violations(problem, _swap(result, 1, travel_s=out.travel_s + 600))


def test_expired_certificate_at_arrival_is_caught(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    assert result.outcomes[2].technician_id == "gas"
    text = _violations(problem, _swap(result, 2, arrival=T0 + 2 * H + 60))
    assert "certification not valid at arrival" in text


def test_capacity_and_cost_are_checked(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    a = result.outcomes[0]
    doubled = _swap(result, 1, technician_id=a.technician_id, arrival=a.arrival, travel_s=a.travel_s)
    assert "over capacity" in _violations(problem, doubled)
    assert "recomputed" in _violations(problem, _swap(result, 0, cost=result.outcomes[0].cost - 1))


def test_missing_or_duplicated_visits_are_caught(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    dup = dataclasses.replace(result, outcomes=(result.outcomes[0], *result.outcomes))
    assert "exactly once" in _violations(problem, dup)


def test_false_no_qualified_claim_is_caught(solved: tuple[AssignmentProblem, BatchResult]) -> None:
    problem, result = solved
    lie = VisitOutcome(
        "v1", Outcome.NO_QUALIFIED_TECHNICIAN, cost=problem.weights.unassigned_penalty(problem.visits[1])
    )
    broken = dataclasses.replace(result, outcomes=(result.outcomes[0], lie, result.outcomes[2]))
    assert "qualifies" in _violations(problem, broken)
