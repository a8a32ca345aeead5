"""Small-instance builders and a brute-force reference solver for the day planner tests.

Plane coordinates in metres; travel = Euclidean metres at 1 m/s (seconds == metres), so
numbers are easy to reason about. The brute force is written independently of the planner:
it enumerates every feasible ordered route per technician and combines them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from dispatch.problem import GeoPoint, Technician, TimeWindow, Visit
from dispatch.routing import PlannerConfig, euclidean_provider

TRAVEL = euclidean_provider(scale=1.0, speed=1.0)
DAY = TimeWindow(0, 100_000)


def p(x: float, y: float) -> GeoPoint:
    return GeoPoint(float(x), float(y))


def tech(
    tid: str, x: float = 0, y: float = 0, shift: tuple[int, int] = (0, 100_000), **kw: object
) -> Technician:
    return Technician(id=tid, home=p(x, y), shifts=(TimeWindow(*shift),), **kw)  # type: ignore[arg-type]


def visit(
    vid: str, x: float, y: float, window: tuple[int, int] = (0, 100_000), duration: int = 100, **kw: object
) -> Visit:
    return Visit(id=vid, location=p(x, y), duration_s=duration, window=TimeWindow(*window), **kw)  # type: ignore[arg-type]


def _d(a: GeoPoint, b: GeoPoint) -> int:
    return math.floor(math.hypot(a.lat - b.lat, a.lng - b.lng) + 1e-9)


def route_cost(t: Technician, seq: Sequence[Visit]) -> int | None:
    """Travel metres of ``seq`` for technician ``t`` (single shift), None when infeasible."""
    shift = t.shifts[0]
    clock = max(shift.start, DAY.start)
    here = t.home
    cost = 0
    load = 0
    for v in seq:
        if any(t.skill_level(r.code) < r.min_level for r in v.skills):
            return None
        if v.pinned_to is not None and v.pinned_to != t.id:
            return None
        leg = _d(here, v.location)
        cost += leg
        clock = max(clock + leg, v.window.start)
        if clock > v.window.end - 1:
            return None
        clock += v.duration_s
        load += v.demand
        here = v.location
    leg = _d(here, t.home)
    cost += leg
    if clock + leg > min(shift.end, DAY.end):
        return None
    if t.capacity is not None and load > t.capacity:
        return None
    if t.max_visits_per_day is not None and len(seq) > t.max_visits_per_day:
        return None
    return cost if seq else 0


def brute_force(techs: Sequence[Technician], visits: Sequence[Visit], config: PlannerConfig) -> int:
    """Minimum of travel + drop penalties over every plan (<= 6 visits, <= 3 technicians)."""
    best_for: list[dict[frozenset[int], int]] = []
    for t in techs:
        table: dict[frozenset[int], int] = {frozenset(): 0}
        for k in range(1, len(visits) + 1):
            for seq in itertools.permutations(range(len(visits)), k):
                c = route_cost(t, [visits[i] for i in seq])
                if c is not None:
                    key = frozenset(seq)
                    if c < table.get(key, 1 << 62):
                        table[key] = c
        best_for.append(table)
    best = 1 << 62
    everything = frozenset(range(len(visits)))

    def combine(k: int, used: frozenset[int], cost: int) -> None:
        nonlocal best
        if k == len(techs):
            dropped = everything - used
            total = cost + sum(config.penalty(visits[i]) for i in dropped)
            best = min(best, total)
            return
        for subset, c in best_for[k].items():
            if not (subset & used):
                combine(k + 1, used | subset, cost + c)

    combine(0, frozenset(), 0)
    return best
