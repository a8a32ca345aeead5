"""Independent checks of matcher output against its problem.

Written from the rules, not from the matcher: it loops over `Technician` and `Visit`
objects with their own helper methods (`skill_level`, `Certification.valid_at`,
`TimeWindow.contains`), measures the service radius with geopy, and recomputes every
cost with the scalar scorer `dispatch.scoring.pair_cost`. Slow on purpose; tests and
benchmarks run it on every result.

Shared with the matcher, deliberately: the `TravelModel` (travel time is an input, not a
rule) and the weights. The radius check allows 1 m and travel times 1 s for the matcher's
vectorised arithmetic rounding differently from the scalar path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.geo import TravelModel, coordinates, geodesic_m
from dispatch.matching import AssignmentProblem, BatchResult, Outcome, Ranking
from dispatch.problem import GeoPoint, Technician, Visit
from dispatch.scoring import ScoreWeights, pair_cost

RADIUS_TOLERANCE_M = 1.0
TRAVEL_TOLERANCE_S = 1  # vectorised vs 1x1 float paths may round a half-second differently


@dataclass(frozen=True, slots=True)
class PairCheck:
    reason: str | None  # None: feasible
    arrival: int | None = None  # earliest feasible in-window arrival
    travel_s: int = 0
    travel_m: int = 0


def _travel(model: TravelModel, origin: GeoPoint, visit: Visit) -> tuple[int, int]:
    m = model.matrices(coordinates([origin]), coordinates([visit.location]))
    return int(m.seconds[0, 0]), int(m.metres[0, 0])


def _cert_valid(tech: Technician, code: str, moment: int) -> bool:
    return any(c.code == code and c.valid_at(moment) for c in tech.certifications)


def _certs_ok(tech: Technician, visit: Visit, moment: int) -> bool:
    return all(_cert_valid(tech, code, moment) for code in visit.certifications)


def qualification_reason(tech: Technician, visit: Visit, now: int) -> str | None:
    """Rules 1-4 of `dispatch.candidates` (who may do it, regardless of time)."""
    if visit.pinned_to is not None and tech.id != visit.pinned_to:
        return f"pinned_to_other:{visit.pinned_to}"
    for req in visit.skills:
        if tech.skill_level(req.code) < req.min_level:
            return f"missing_skill:{req}"
    earliest = max(now, visit.window.start)
    for code in visit.certifications:
        held = [c for c in tech.certifications if c.code == code]
        if not held:
            return f"missing_certification:{code}"
        if not any(c.valid_at(earliest) for c in held):
            return f"certification_expired:{code}"
    distance = geodesic_m(tech.home, visit.location)
    if distance > tech.service_radius_m + RADIUS_TOLERANCE_M:
        return f"outside_radius:{(distance - tech.service_radius_m) / 1000:.1f}km"
    return None


def check_pair(tech: Technician, visit: Visit, now: int, model: TravelModel) -> PairCheck:
    """Can `tech` take `visit`, and when would they arrive at the earliest?"""
    reason = qualification_reason(tech, visit, now)
    if reason is not None:
        return PairCheck(reason)
    w = visit.window
    best: PairCheck | None = None
    overlaps = False
    feasible_ignoring_certs = False
    for shift in tech.shifts:
        if shift.end <= now:
            continue
        overlaps |= shift.start < w.end and shift.end > max(now, w.start)
        origin = tech.position if shift.start <= now else tech.home
        travel_s, travel_m = _travel(model, origin, visit)
        arrive = max(max(now, shift.start) + travel_s, w.start)
        if not (arrive < w.end and arrive + visit.duration_s <= shift.end):
            continue
        feasible_ignoring_certs = True
        if _certs_ok(tech, visit, arrive) and (best is None or arrive < (best.arrival or 0)):
            best = PairCheck(None, arrive, travel_s, travel_m)
    if best is not None:
        return best
    if not overlaps:
        return PairCheck("off_shift")
    if feasible_ignoring_certs:
        soonest = min(
            visit.certifications,
            key=lambda code: max(
                (c.expires_at if c.expires_at is not None else 2**63 - 1)
                for c in tech.certifications
                if c.code == code
            ),
        )
        return PairCheck(f"certification_expired:{soonest}")
    return PairCheck("cannot_arrive_in_window")


def _shift_allows(
    tech: Technician, visit: Visit, now: int, model: TravelModel, arrival: int, travel_s: int
) -> bool:
    """Some shift lets `tech` start `visit` at `arrival`, having travelled `travel_s`."""
    for shift in tech.shifts:
        if shift.end <= now:
            continue
        origin = tech.position if shift.start <= now else tech.home
        if abs(_travel(model, origin, visit)[0] - travel_s) > TRAVEL_TOLERANCE_S:
            continue
        if max(now, shift.start) + travel_s <= arrival and arrival + visit.duration_s <= shift.end:
            return True
    return False


def _check_assigned(
    tech: Technician, visit: Visit, now: int, model: TravelModel, arrival: int, travel_s: int
) -> list[str]:
    problems = []
    reason = qualification_reason(tech, visit, now)
    if reason is not None:
        problems.append(f"{visit.id}->{tech.id}: unqualified ({reason})")
    if not visit.window.contains(arrival):
        problems.append(f"{visit.id}->{tech.id}: arrival {arrival} outside window")
    if not _certs_ok(tech, visit, arrival):
        problems.append(f"{visit.id}->{tech.id}: certification not valid at arrival")
    if not _shift_allows(tech, visit, now, model, arrival, travel_s):
        problems.append(f"{visit.id}->{tech.id}: no shift allows arrival {arrival} with travel {travel_s}s")
    return problems


@dataclass(frozen=True, slots=True)
class ValidationReport:
    violations: tuple[str, ...]
    objective: int  # recomputed

    @property
    def ok(self) -> bool:
        return not self.violations


def validate_assignment(problem: AssignmentProblem, result: BatchResult) -> ValidationReport:
    techs = {t.id: t for t in problem.technicians}
    weights: ScoreWeights = problem.weights
    violations: list[str] = []
    if [o.visit_id for o in result.outcomes] != [v.id for v in problem.visits]:
        violations.append("outcomes do not list every visit exactly once, in order")
        return ValidationReport(tuple(violations), 0)

    objective = 0
    load: Counter[str] = Counter()
    work_s: Counter[str] = Counter()
    for visit, out in zip(problem.visits, result.outcomes, strict=True):
        if out.status is Outcome.ASSIGNED:
            tech = techs.get(out.technician_id or "")
            if tech is None or out.arrival is None:
                violations.append(f"{visit.id}: assigned to unknown technician {out.technician_id}")
                continue
            violations += _check_assigned(tech, visit, problem.now, problem.model, out.arrival, out.travel_s)
            cost = pair_cost(tech, visit, out.arrival, out.travel_s, weights)
            load[tech.id] += 1
            work_s[tech.id] += out.travel_s + visit.duration_s
        else:
            cost = weights.unassigned_penalty(visit)
            violations += _check_open(problem, visit, out.status, out.earliest_option)
        if cost != out.cost:
            violations.append(f"{visit.id}: reported cost {out.cost}, recomputed {cost}")
        objective += cost
    if objective != result.objective:
        violations.append(f"objective reported {result.objective}, recomputed {objective}")

    for tid, count in load.items():
        if count > problem.capacity(techs[tid]):
            violations.append(f"{tid}: {count} visits over capacity {problem.capacity(techs[tid])}")
        if problem.options.respect_shift_hours and work_s[tid] > problem.shift_budget_s(techs[tid]):
            violations.append(f"{tid}: {work_s[tid]}s of work over shift budget")
    share = problem.options.max_share_per_technician
    if share is not None:
        total = sum(load.values())
        for tid, count in load.items():
            if 1000 * count > round(share * 1000) * total + 1000:
                violations.append(f"{tid}: {count} of {total} visits breaks the fairness cap")
    return ValidationReport(tuple(violations), objective)


def _check_open(problem: AssignmentProblem, visit: Visit, status: Outcome, option: object) -> list[str]:
    qualified = [t for t in problem.technicians if qualification_reason(t, visit, problem.now) is None]
    if status is Outcome.NO_QUALIFIED_TECHNICIAN and qualified:
        return [f"{visit.id}: no_qualified_technician but {qualified[0].id} qualifies"]
    if status is Outcome.NEEDS_CALLBACK and not qualified:
        return [f"{visit.id}: needs_callback but nobody qualifies"]
    if status not in (Outcome.NEEDS_CALLBACK, Outcome.NO_QUALIFIED_TECHNICIAN):
        return [f"{visit.id}: unexpected status {status}"]
    if option is not None:
        tid = getattr(option, "technician_id", None)
        if tid not in {t.id for t in qualified}:
            return [f"{visit.id}: earliest option {tid} is not qualified"]
    return []


def validate_ranking(
    ranking: Ranking, technicians: Sequence[Technician], now: int, model: TravelModel, weights: ScoreWeights
) -> ValidationReport:
    """Every ranked candidate feasible, at its earliest arrival, costed right, in order."""
    techs = {t.id: t for t in technicians}
    visit = ranking.visit
    violations: list[str] = []
    previous = -1
    for cand in ranking.candidates:
        tech = techs[cand.technician_id]
        check = check_pair(tech, visit, now, model)
        if check.reason is not None:
            violations.append(f"{tech.id} ranked but infeasible: {check.reason}")
            continue
        if check.arrival != cand.arrival:
            violations.append(f"{tech.id}: arrival {cand.arrival}, earliest is {check.arrival}")
        cost = pair_cost(tech, visit, cand.arrival, cand.travel_s, weights)
        if cost != cand.cost:
            violations.append(f"{tech.id}: cost {cand.cost}, recomputed {cost}")
        if cand.cost < previous:
            violations.append(f"{tech.id}: ranked out of order")
        previous = cand.cost
    feasible = sum(1 for t in technicians if check_pair(t, visit, now, model).reason is None)
    if feasible != ranking.feasible_count:
        violations.append(f"feasible count {ranking.feasible_count}, recomputed {feasible}")
    if (ranking.status is Outcome.RANKED) != (feasible > 0):
        violations.append(f"status {ranking.status} with {feasible} feasible technicians")
    return ValidationReport(tuple(violations), 0)
