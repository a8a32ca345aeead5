"""Independent checker for day plans: does a :class:`Plan` obey its problem?

Written separately from the planner (it shares only the problem types and the travel
matrix adapter) so that a bug in the solver's bookkeeping cannot hide itself. It checks:

* every route belongs to a known technician, at most one route each;
* every visit appears at most once, and is either routed or listed as unassigned;
* skills at the required level, certifications valid until the visit's departure;
* arrival inside the visit window, departure = arrival + duration, service inside one of the
  technician's shifts, routes inside the working span (first shift start .. last shift end,
  clipped to the day, not before ``now``);
* times consistent with travel: between the previous departure (or ``route.start`` at the
  start point) and each arrival there must be at least the travel time *on shift*
  (technicians neither serve nor drive during off-shift gaps), likewise between the last
  departure and ``route.end`` for the way home; per-stop and per-route travel figures equal
  to the recomputed ones;
* capacity (sum of demands) and maximum visits per day;
* pinned visits on their technician; with ``require_pins`` also never dropped (off by
  default: a pin its technician cannot honour any more, e.g. after their shift was cut,
  must be dropped and surfaces in ``Plan.unassigned`` for a human);
* no work left undone that someone had room for: an unassigned visit that some qualified
  technician's route could take as it stands (inserted at some position, the route re-timed
  from the start of the working span with every rule above still met) is reported as
  ``unassigned_but_placeable`` (``PlanCheck.placeable`` lists them either way; with
  ``require_placement=False`` they are not violations, for plans whose drop penalties are
  meant to let costly visits go). For the visit in question a certification must hold through
  the latest possible end of the visit (window end + duration), the planner's own rule, so a
  visit is never called placeable only because of an early arrival.

Routes start at the technician's home, or at their last known position when ``now`` is
given (re-planning during the day), and always end at home, as in the planner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dispatch.problem import GeoPoint, Plan, Technician, TimeWindow, Visit
from dispatch.routing.travel import as_travel_matrices


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    technician_id: str | None = None
    visit_id: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        who = "/".join(x for x in (self.technician_id, self.visit_id) if x)
        return f"{self.code}[{who}] {self.detail}".rstrip()


@dataclass(frozen=True, slots=True)
class PlanCheck:
    violations: tuple[Violation, ...]
    travel_m: int  # recomputed total over all routes, including the way home
    travel_s: int
    placed: int
    unassigned: int
    placeable: tuple[str, ...] = ()  # unassigned visits some technician's route could take

    @property
    def ok(self) -> bool:
        return not self.violations


class _Travel:
    """Travel lookups over the problem's points, computed once."""

    def __init__(self, travel: Any, points: list[GeoPoint]) -> None:
        self.index: dict[GeoPoint, int] = {}
        unique: list[GeoPoint] = []
        for p in points:
            if p not in self.index:
                self.index[p] = len(unique)
                unique.append(p)
        if hasattr(travel, "matrices"):
            coords = np.array([(p.lat, p.lng) for p in unique], dtype=np.float64).reshape(-1, 2)
            m = as_travel_matrices(travel.matrices(coords, coords))
        else:
            m = as_travel_matrices(travel(unique))
        self.seconds = m.seconds
        self.metres = m.metres

    def leg(self, a: GeoPoint, b: GeoPoint) -> tuple[int, int]:
        i, j = self.index[a], self.index[b]
        return int(self.seconds[i, j]), int(self.metres[i, j])


def check_plan(
    plan: Plan,
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: Any,
    now: int | None = None,
    require_pins: bool = False,
    require_placement: bool = True,
) -> PlanCheck:
    """Check ``plan``; ``travel`` is a provider ``points -> matrices`` or a geo TravelModel."""
    out: list[Violation] = []
    techs = {t.id: t for t in technicians}
    by_id = {v.id: v for v in visits}

    def start_point(t: Technician) -> GeoPoint:
        return t.position if now is not None else t.home

    points = [v.location for v in visits] + [t.home for t in technicians]
    points += [start_point(t) for t in technicians]
    tr = _Travel(travel, points)

    seen: dict[str, str] = {}
    routed_techs: set[str] = set()
    total_m = total_s = 0
    for route in plan.routes:
        tech = techs.get(route.technician_id)
        if tech is None:
            out.append(Violation("unknown_technician", route.technician_id))
            continue
        if tech.id in routed_techs:
            out.append(Violation("duplicate_route", tech.id))
        routed_techs.add(tech.id)
        out.extend(_check_route(route, tech, by_id, day, now, tr, start_point(tech), seen))
        if route.stops:
            here = start_point(tech)
            for stop in route.stops:
                v = by_id.get(stop.visit_id)
                if v is None:
                    continue
                s, m = tr.leg(here, v.location)
                total_s += s
                total_m += m
                here = v.location
            s, m = tr.leg(here, tech.home)
            total_s += s
            total_m += m

    unassigned = set(plan.unassigned)
    for vid in plan.unassigned:
        if vid not in by_id:
            out.append(Violation("unknown_visit", visit_id=vid, detail="in unassigned"))
        elif vid in seen:
            out.append(Violation("assigned_and_unassigned", seen[vid], vid))
    for v in visits:
        if v.id not in seen and v.id not in unassigned:
            out.append(Violation("visit_not_accounted", visit_id=v.id))
        if v.pinned_to is not None:
            if v.id in seen and seen[v.id] != v.pinned_to:
                out.append(Violation("pinned_moved", seen[v.id], v.id, f"pinned to {v.pinned_to}"))
            elif v.id not in seen and require_pins:
                out.append(Violation("pinned_dropped", v.pinned_to, v.id))
    placeable: list[str] = []
    routes_of = {
        r.technician_id: [by_id[s.visit_id] for s in r.stops if s.visit_id in by_id] for r in plan.routes
    }
    for vid in sorted(unassigned):
        v = by_id.get(vid)
        if v is None or vid in seen:
            continue
        for tech in technicians:
            pos = _insertion_point(v, tech, routes_of.get(tech.id, []), day, now, tr, start_point(tech))
            if pos is not None:
                placeable.append(vid)
                if require_placement:
                    out.append(Violation("unassigned_but_placeable", tech.id, vid, f"fits at position {pos}"))
                break
    return PlanCheck(tuple(out), total_m, total_s, len(seen), len(unassigned), tuple(placeable))


def validate_plan(
    plan: Plan,
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: Any,
    now: int | None = None,
    require_pins: bool = False,
    require_placement: bool = True,
) -> list[Violation]:
    """The violations of ``plan`` (empty when it is valid). See :func:`check_plan`."""
    return list(
        check_plan(plan, technicians, visits, day, travel, now, require_pins, require_placement).violations
    )


def _shift_spans(tech: Technician, day: TimeWindow, now: int | None) -> list[tuple[int, int]]:
    lo = day.start if now is None else max(day.start, now)
    spans = []
    for s in sorted(tech.shifts, key=lambda w: w.start):
        a, b = max(s.start, lo), min(s.end, day.end)
        if b > a:
            spans.append((a, b))
    return spans


def _on_shift(a: int, b: int, spans: list[tuple[int, int]]) -> int:
    return sum(max(0, min(b, e) - max(a, s)) for s, e in spans)


def _check_route(
    route: Any,
    tech: Technician,
    by_id: dict[str, Visit],
    day: TimeWindow,
    now: int | None,
    tr: _Travel,
    origin: GeoPoint,
    seen: dict[str, str],
) -> list[Violation]:
    out: list[Violation] = []
    tid = tech.id

    def bad(code: str, vid: str | None = None, detail: str = "") -> None:
        out.append(Violation(code, tid, vid, detail))

    if not route.stops:
        return out
    spans = _shift_spans(tech, day, now)
    if not spans:
        bad("no_shift", detail="route on a technician without shift time in the day")
        return out
    if route.start < spans[0][0]:
        bad("starts_before_shift", detail=f"{route.start} < {spans[0][0]}")
    if route.end > spans[-1][1]:
        bad("ends_after_shift", detail=f"{route.end} > {spans[-1][1]}")

    here, clock = origin, route.start
    sum_m = sum_s = 0
    load = 0
    for stop in route.stops:
        vid = stop.visit_id
        visit = by_id.get(vid)
        if visit is None:
            bad("unknown_visit", vid)
            continue
        if vid in seen:
            bad("duplicate_visit", vid, f"also on {seen[vid]}")
        seen[vid] = tid
        for req in visit.skills:
            if tech.skill_level(req.code) < req.min_level:
                bad("missing_skill", vid, str(req))
        for code in visit.certifications:
            if not any(c.code == code and c.valid_at(stop.departure - 1) for c in tech.certifications):
                bad("missing_certification", vid, code)
        if not visit.window.contains(stop.arrival):
            bad(
                "outside_window",
                vid,
                f"arrival {stop.arrival} not in [{visit.window.start}, {visit.window.end})",
            )
        if stop.departure != stop.arrival + visit.duration_s:
            bad("wrong_duration", vid, f"{stop.departure - stop.arrival} != {visit.duration_s}")
        if not any(a <= stop.arrival and stop.departure <= b for a, b in spans):
            bad("off_shift", vid, f"service {stop.arrival}..{stop.departure} not inside one shift")
        s, m = tr.leg(here, visit.location)
        if stop.travel_s != s or stop.travel_m != m:
            bad("travel_mismatch", vid, f"stop says {stop.travel_s}s/{stop.travel_m}m, recomputed {s}s/{m}m")
        if _on_shift(clock, stop.arrival, spans) < s:
            bad("arrives_too_early", vid, f"arrival {stop.arrival}: under {s}s on shift since {clock}")
        sum_m += m
        sum_s += s
        load += visit.demand
        here, clock = visit.location, stop.departure
    s, m = tr.leg(here, tech.home)
    sum_m += m
    sum_s += s
    if _on_shift(clock, route.end, spans) < s:
        bad("back_too_early", detail=f"end {route.end}: less than travel {s}s on shift since {clock}")
    if route.travel_m != sum_m or route.travel_s != sum_s:
        bad(
            "route_travel_mismatch",
            detail=f"{route.travel_s}s/{route.travel_m}m, recomputed {sum_s}s/{sum_m}m",
        )
    if tech.capacity is not None and load > tech.capacity:
        bad("over_capacity", detail=f"{load} > {tech.capacity}")
    if tech.max_visits_per_day is not None and len(route.stops) > tech.max_visits_per_day:
        bad("too_many_visits", detail=f"{len(route.stops)} > {tech.max_visits_per_day}")
    return out


def _arrival(clock: int, travel_s: int, spans: list[tuple[int, int]]) -> int | None:
    """Earliest arrival after ``travel_s`` seconds of on-shift driving from ``clock``."""
    left = travel_s
    for a, b in spans:
        if b < clock:
            continue
        cur = max(a, clock)
        take = min(left, b - cur)
        left -= take
        if left == 0:
            return cur + take
    return None


def _service_start(arrival: int, visit: Visit, spans: list[tuple[int, int]]) -> int | None:
    """Earliest service start from ``arrival`` inside the window and inside one shift."""
    for a, b in spans:
        start = max(arrival, visit.window.start, a)
        if start + visit.duration_s <= b and visit.window.contains(start):
            return start
    return None


def _insertion_point(
    visit: Visit,
    tech: Technician,
    route: list[Visit],
    day: TimeWindow,
    now: int | None,
    tr: _Travel,
    origin: GeoPoint,
) -> int | None:
    """A position at which ``tech``'s route could take ``visit`` (None when there is none)."""
    if visit.pinned_to is not None and visit.pinned_to != tech.id:
        return None
    if any(tech.skill_level(req.code) < req.min_level for req in visit.skills):
        return None
    latest_end = visit.window.end - 1 + visit.duration_s
    for code in visit.certifications:
        if not any(c.code == code and c.valid_at(latest_end) for c in tech.certifications):
            return None
    if tech.capacity is not None and sum(v.demand for v in route) + visit.demand > tech.capacity:
        return None
    if tech.max_visits_per_day is not None and len(route) + 1 > tech.max_visits_per_day:
        return None
    spans = _shift_spans(tech, day, now)
    if not spans or _service_start(visit.window.start, visit, spans) is None:
        return None
    for pos in range(len(route) + 1):
        if _fits([*route[:pos], visit, *route[pos:]], spans, tr, origin, tech.home):
            return pos
    return None


def _fits(
    seq: list[Visit], spans: list[tuple[int, int]], tr: _Travel, origin: GeoPoint, home: GeoPoint
) -> bool:
    """Whether the earliest-start schedule of ``seq`` meets every window, shift and the way home."""
    clock, here = spans[0][0], origin
    for v in seq:
        arrival = _arrival(clock, tr.leg(here, v.location)[0], spans)
        start = None if arrival is None else _service_start(arrival, v, spans)
        if start is None:
            return False
        clock, here = start + v.duration_s, v.location
    return _arrival(clock, tr.leg(here, home)[0], spans) is not None
