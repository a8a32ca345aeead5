"""Matcher properties: every result passes the independent validator, tiny instances hit
the brute-force optimum, nobody unqualified is ever assigned."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.assignment_validator import check_pair, validate_assignment, validate_ranking
from dispatch.flow import solve_assignment_flow
from dispatch.geo import DEFAULT_TRAVEL_MODEL
from dispatch.matching import AssignmentProblem, BatchOptions, Outcome, assign_batch, rank_candidates
from dispatch.pool import build_pool
from dispatch.problem import Certification, CustomerTier, Priority, SkillRequirement, Technician, Visit
from dispatch.scoring import DEFAULT_WEIGHTS
from tests.unit.dispatch.match_helpers import T0, H, brute_force_optimum, tech, visit

SKILLS = ("hvac.repair", "gas.boiler", "plumbing.repair")
km = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False)


@st.composite
def technicians(draw: st.DrawFn, i: int) -> Technician:
    n_skills = draw(st.integers(1, 3))
    codes = draw(st.lists(st.sampled_from(SKILLS), min_size=n_skills, max_size=n_skills, unique=True))
    skills = tuple((c, draw(st.integers(1, 3))) for c in codes)
    certs: tuple[Certification, ...] = ()
    if draw(st.booleans()):
        certs = (Certification("gas_safe", draw(st.sampled_from([None, T0, T0 + 3 * H, T0 + 100 * H]))),)
    shifts = []
    start = T0 + draw(st.integers(-2, 3)) * H
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
        end = start + draw(st.integers(2, 12)) * H
        shifts.append((start, end))
        start = end + draw(st.integers(1, 16)) * H
    moved = draw(st.booleans())
    from tests.unit.dispatch.match_helpers import at

    return tech(
        f"t{i}",
        draw(km),
        draw(km),
        skills=skills,
        certs=certs,
        shifts=tuple(shifts),
        radius_m=draw(st.integers(5, 40)) * 1000,
        location=at(draw(km), draw(km)) if moved else None,
        rating_sum=float(draw(st.integers(0, 100))),
        rating_count=draw(st.integers(0, 25)),
        recent_work_share=draw(st.sampled_from([0.0, 0.01, 0.1])),
        max_visits_per_day=draw(st.sampled_from([None, 1, 3])),
    )


@st.composite
def visits(draw: st.DrawFn, i: int) -> Visit:
    code = draw(st.sampled_from(SKILLS[:2]))
    start = T0 + draw(st.integers(0, 10)) * 30 * 60
    return visit(
        f"v{i}",
        draw(km),
        draw(km),
        skills=(SkillRequirement(code, draw(st.sampled_from([1, 1, 2, 3]))),),
        certifications=("gas_safe",) if code == "gas.boiler" and draw(st.booleans()) else (),
        window=(start, start + draw(st.integers(1, 6)) * H),
        duration_s=draw(st.integers(1, 8)) * 15 * 60,
        priority=draw(st.sampled_from(list(Priority))),
        tier=draw(st.sampled_from(list(CustomerTier))),
        sla_due_at=draw(st.sampled_from([None, start + 2 * H])),
    )


@st.composite
def problems(
    draw: st.DrawFn, max_techs: int = 4, max_visits: int = 4, side: bool = False
) -> AssignmentProblem:
    techs = tuple(draw(technicians(i)) for i in range(draw(st.integers(1, max_techs))))
    vs = tuple(draw(visits(i)) for i in range(draw(st.integers(1, max_visits))))
    options = BatchOptions(
        capacity_per_technician=draw(st.integers(1, 3)),
        existing_load=(("t0", 1),),
        candidates_per_visit=draw(st.sampled_from([1, 2, 16])),  # tiny K exercises the certificate
    )
    if side:
        options = BatchOptions(
            capacity_per_technician=options.capacity_per_technician,
            respect_shift_hours=draw(st.booleans()),
            max_share_per_technician=draw(st.sampled_from([None, 0.3, 0.5])),
        )
    return AssignmentProblem(vs, techs, now=T0 + draw(st.integers(0, 4)) * 30 * 60, options=options)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(problems())
def test_flow_result_is_valid_and_optimal(problem: AssignmentProblem) -> None:
    result = assign_batch(problem)
    report = validate_assignment(problem, result)
    assert report.ok, report.violations
    assert result.solver == "min_cost_flow" and result.optimal
    assert result.objective == brute_force_optimum(problem)


@FAST
@given(problems(side=True))
def test_cpsat_with_side_constraints_is_valid_and_optimal(problem: AssignmentProblem) -> None:
    result = assign_batch(problem)
    report = validate_assignment(problem, result)
    assert report.ok, report.violations
    assert result.optimal  # flow (side constraints happened to hold) or CP-SAT
    assert result.objective == brute_force_optimum(problem)


@FAST
@given(problems(max_techs=6, max_visits=1))
def test_ranking_is_valid_and_reasons_match_the_validator(problem: AssignmentProblem) -> None:
    v = problem.visits[0]
    ranking = rank_candidates(v, problem.technicians, problem.now, limit=100)
    report = validate_ranking(
        ranking, problem.technicians, problem.now, DEFAULT_TRAVEL_MODEL, DEFAULT_WEIGHTS
    )
    assert report.ok, report.violations
    for t in problem.technicians:
        ours = ranking.reason_for(t.id)
        theirs = check_pair(t, v, problem.now, DEFAULT_TRAVEL_MODEL).reason
        if ours is not None and theirs is not None and ours.startswith("outside_radius"):
            assert theirs.startswith("outside_radius")  # the km figure may round differently
        else:
            assert ours == theirs, t
        if ours is not None:
            assert ranking.why_not(t.id)  # always some plain words


@settings(max_examples=30, deadline=None)
@given(problems(max_techs=8, max_visits=8))
def test_skills_are_never_violated(problem: AssignmentProblem) -> None:
    result = assign_batch(problem)
    techs = {t.id: t for t in problem.technicians}
    for v, out in zip(problem.visits, result.outcomes, strict=True):
        if out.status is Outcome.ASSIGNED:
            t = techs[out.technician_id or ""]
            assert all(t.skill_level(r.code) >= r.min_level for r in v.skills)


def test_known_optimum_needs_a_swap() -> None:
    # Greedy (each visit takes its nearest free technician, in order) gets this wrong:
    # v0 grabs `a`, leaving v1 with the far `c`. The optimum sends v0 to `b`.
    techs = (tech("a", 0, 0), tech("b", 0, 3.0), tech("c", 0, 14.0))
    vs = (visit("v0", 0, 0.5), visit("v1", 0, -0.5))
    problem = AssignmentProblem(vs, techs, now=T0)
    result = assign_batch(problem)
    assert validate_assignment(problem, result).ok
    assert {o.visit_id: o.technician_id for o in result.outcomes} == {"v0": "b", "v1": "a"}
    assert result.objective == brute_force_optimum(problem)


def test_certificate_grows_pruned_lists_until_optimal() -> None:
    # 12 visits all preferring the same 3 technicians: with 1 arc per visit the pruned
    # problem is badly wrong, the dual certificate must notice and widen the lists.
    techs = tuple(tech(f"t{i}", 0, i * 0.5) for i in range(12))
    vs = tuple(visit(f"v{i}", 0.1 * i, 0) for i in range(12))
    pool = build_pool(techs)
    problem = AssignmentProblem(vs, techs, now=T0)
    full = assign_batch(problem, pool)
    tight = assign_batch(
        AssignmentProblem(vs, techs, now=T0, options=BatchOptions(candidates_per_visit=1)), pool
    )
    assert tight.optimal and tight.objective == full.objective
    assert dict(tight.stats)["rounds"] > 1
    assert validate_assignment(problem, tight).ok


def test_flow_certificate_unit() -> None:
    import numpy as np

    # two visits, one technician with one slot, cheap second choices pruned away
    rows = [np.array([0, 1]), np.array([0, 2])]
    costs = [np.array([10, 11]), np.array([10, 50])]
    sol = solve_assignment_flow(rows, costs, np.array([100, 100]), np.array([1, 1, 1]), initial_k=1)
    assert sol.certified_optimal
    assert sol.objective == 11 + 10  # v0 moves to its second choice, v1 keeps technician 0
    assert sol.rounds >= 2


def test_visit_with_only_unqualified_near_needs_callback_in_batch() -> None:
    techs = (
        tech("plumber", 0, 0.2, skills=(("plumbing.repair", 3),)),
        tech("hvac-tomorrow", 0, 5.0, shifts=((T0 + 24 * H, T0 + 32 * H),)),
    )
    vs = (visit("v0"),)
    problem = AssignmentProblem(vs, techs, now=T0)
    result = assign_batch(problem)
    assert validate_assignment(problem, result).ok
    (out,) = result.outcomes
    assert out.status is Outcome.NEEDS_CALLBACK
    assert out.earliest_option is not None and out.earliest_option.technician_id == "hvac-tomorrow"
    assert out.earliest_option.arrival >= T0 + 24 * H


def test_binding_shift_hours_switch_to_cpsat() -> None:
    # `a` is nearest to both visits but has 2.5 h of shift left: with two 1 h jobs plus
    # travel it can only take one. The flow ignores that, so CP-SAT must step in.
    techs = (tech("a", 0, 0, shifts=((T0, T0 + 2 * H + 30 * 60),)), tech("b", 0, 6.0))
    vs = (
        visit("v0", 0, 0.2, window=(T0, T0 + 4 * H)),
        visit("v1", 0, -0.2, window=(T0, T0 + 4 * H)),
    )
    loose = AssignmentProblem(vs, techs, now=T0, options=BatchOptions(capacity_per_technician=2))
    assert {o.technician_id for o in assign_batch(loose).outcomes} == {"a"}
    options = BatchOptions(capacity_per_technician=2, respect_shift_hours=True, horizon_end=T0 + 2 * H)
    problem = AssignmentProblem(vs, techs, now=T0, options=options)
    result = assign_batch(problem)
    assert result.solver == "cp_sat" and result.optimal
    assert sorted(o.technician_id or "" for o in result.outcomes) == ["a", "b"]
    assert validate_assignment(problem, result).ok
    assert result.objective == brute_force_optimum(problem)


def test_binding_fairness_cap_switch_to_cpsat() -> None:
    techs = (tech("a", 0, 0), tech("b", 0, 3.0), tech("c", 0, -3.0))
    vs = tuple(visit(f"v{i}", 0, 0.1 * i) for i in range(6))
    options = BatchOptions(capacity_per_technician=6, max_share_per_technician=0.34)
    problem = AssignmentProblem(vs, techs, now=T0, options=options)
    result = assign_batch(problem)
    assert result.solver == "cp_sat" and result.optimal
    report = validate_assignment(problem, result)
    assert report.ok, report.violations
    assert result.objective == brute_force_optimum(problem)


def test_road_table_travel_model_plugs_into_the_matcher() -> None:
    import numpy as np

    from dispatch.geo import StaticTableProvider, TableTravelModel

    techs = (tech("a", 0, 0), tech("b", 0, 1.0))
    v = visit("v0", 0, 0.5)
    points = [techs[0].home, techs[1].home, v.location]
    # a river: b is next door as the crow flies but 40 min away by road
    seconds = np.array([[0, 600, 300], [600, 0, 2400], [300, 2400, 0]])
    metres = seconds * 10
    model = TableTravelModel(StaticTableProvider(points, seconds, metres))
    ranking = rank_candidates(v, techs, T0, model=model)
    assert [c.technician_id for c in ranking.candidates] == ["a", "b"]
    assert [c.travel_s for c in ranking.candidates] == [300, 2400]
    problem = AssignmentProblem((v,), techs, now=T0, model=model)
    result = assign_batch(problem)
    assert result.outcomes[0].technician_id == "a" and result.outcomes[0].travel_s == 300
    assert validate_assignment(problem, result).ok
    assert validate_ranking(ranking, techs, T0, model, DEFAULT_WEIGHTS).ok


def test_batch_is_deterministic() -> None:
    from dispatch.bench import synthetic

    techs = tuple(synthetic.technicians(300, seed=3))
    vs = tuple(synthetic.visits(120, seed=3))
    for options in (BatchOptions(), BatchOptions(capacity_per_technician=2, max_share_per_technician=0.01)):
        problem = AssignmentProblem(vs, techs, synthetic.NOW, options=options)
        first, second = assign_batch(problem), assign_batch(problem)
        assert first.outcomes == second.outcomes and first.objective == second.objective
        report = validate_assignment(problem, first)
        assert report.ok, report.violations
