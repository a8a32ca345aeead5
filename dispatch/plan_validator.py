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
  must be dropped and surfaces in ``Plan.unassigned`` for a human).

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
    return PlanCheck(tuple(out), total_m, total_s, len(seen), len(unassigned))


def validate_plan(
    plan: Plan,
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: Any,
    now: int | None = None,
    require_pins: bool = False,
) -> list[Violation]:
    """The violations of ``plan`` (empty when it is valid). See :func:`check_plan`."""
    return list(check_plan(plan, technicians, visits, day, travel, now, require_pins).violations)


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
