"""Small builders and a brute-force oracle for matcher tests (no database needed)."""

from __future__ import annotations

import itertools
import math
from collections import Counter

from dispatch.assignment_validator import check_pair
from dispatch.matching import AssignmentProblem
from dispatch.problem import Certification, GeoPoint, SkillRequirement, Technician, TimeWindow, Visit
from dispatch.scoring import pair_cost

H = 3600
T0 = 1_800_000_000
CENTRE = GeoPoint(51.5, -0.12)


def at(north_km: float = 0.0, east_km: float = 0.0) -> GeoPoint:
    lat = CENTRE.lat + north_km * 1000.0 / 111_320.0
    lng = CENTRE.lng + east_km * 1000.0 / (111_320.0 * math.cos(math.radians(CENTRE.lat)))
    return GeoPoint(round(lat, 7), round(lng, 7))


def tech(
    tid: str,
    north_km: float = 0.0,
    east_km: float = 0.0,
    skills: tuple[tuple[str, int], ...] = (("hvac.repair", 2),),
    certs: tuple[Certification, ...] = (),
    shifts: tuple[tuple[int, int], ...] = ((T0, T0 + 8 * H),),
    radius_m: int = 25_000,
    **kw: object,
) -> Technician:
    return Technician(
        id=tid,
        home=at(north_km, east_km),
        skills=skills,
        certifications=certs,
        shifts=tuple(TimeWindow(a, b) for a, b in shifts),
        service_radius_m=radius_m,
        **kw,  # type: ignore[arg-type]
    )


def visit(
    vid: str,
    north_km: float = 0.0,
    east_km: float = 0.0,
    skills: tuple[SkillRequirement, ...] = (SkillRequirement("hvac.repair", 1),),
    window: tuple[int, int] = (T0 + H, T0 + 3 * H),
    duration_s: int = H,
    **kw: object,
) -> Visit:
    return Visit(
        id=vid,
        location=at(north_km, east_km),
        duration_s=duration_s,
        window=TimeWindow(*window),
        skills=skills,
        **kw,  # type: ignore[arg-type]
    )


def brute_force_optimum(problem: AssignmentProblem) -> int:
    """Minimum objective by enumerating every assignment (tiny instances only)."""
    options: list[list[tuple[str | None, int, int]]] = []  # (technician, cost, work seconds)
    for v in problem.visits:
        row: list[tuple[str | None, int, int]] = [(None, problem.weights.unassigned_penalty(v), 0)]
        for t in problem.technicians:
            check = check_pair(t, v, problem.now, problem.model)
            if check.reason is None and check.arrival is not None:
                cost = pair_cost(t, v, check.arrival, check.travel_s, problem.weights)
                row.append((t.id, cost, check.travel_s + v.duration_s))
        options.append(row)
    techs = {t.id: t for t in problem.technicians}
    best = math.inf
    for combo in itertools.product(*options):
        load = Counter(tid for tid, _, _ in combo if tid is not None)
        if any(n > problem.capacity(techs[tid]) for tid, n in load.items()):
            continue
        if problem.options.respect_shift_hours:
            work: Counter[str] = Counter()
            for tid, _, w in combo:
                if tid is not None:
                    work[tid] += w
            if any(work[tid] > problem.shift_budget_s(techs[tid]) for tid in work):
                continue
        share = problem.options.max_share_per_technician
        if share is not None:
            total = sum(load.values())
            if any(1000 * n > round(share * 1000) * total + 1000 for n in load.values()):
                continue
        best = min(best, sum(c for _, c, _ in combo))
    return int(best)
