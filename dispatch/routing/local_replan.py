"""Repair a day plan after one change, touching only the routes the change reaches.

A cancellation, an overrun, a new emergency or a technician who cannot work changes a few
routes; re-solving the whole day (thousands of visits) to absorb it takes a minute and moves
visits that nobody needed to move. `replan_locally` picks the routes that matter and
re-solves only those, warm-started from the current plan:

- the routes that held a removed or changed visit, or belong to a changed technician;
- for every visit needing a new home (new, orphaned by a lost technician, or left unplaced
  before), the `neighbours` nearest qualified technicians;
- for each route changed in place, its `neighbours` nearest routes, which may take over
  visits or give some up.

Every other route is kept exactly as it was. Pinned visits stay with their technician (the
planner enforces pins); a pin to a technician who is gone is dropped so the visit can move.
The result is one `Plan` over the whole day, with `stats` saying how much was touched.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from dispatch.problem import GeoPoint, Plan, Route, Technician, TimeWindow, Visit
from dispatch.routing.data import PlannerConfig
from dispatch.routing.planner import plan_day
from dispatch.routing.travel import TravelSource


@dataclass(frozen=True, slots=True)
class DayChange:
    """What happened since `previous` was planned (ids refer to the problem before/after)."""

    removed_visits: frozenset[str] = field(default_factory=frozenset)  # cancelled, no longer to do
    changed_visits: frozenset[str] = field(default_factory=frozenset)  # overrun, new window, ...
    new_visits: frozenset[str] = field(default_factory=frozenset)
    lost_technicians: frozenset[str] = field(default_factory=frozenset)  # sick, vehicle broke down
    changed_technicians: frozenset[str] = field(default_factory=frozenset)  # shift moved, running late


def _km(a: GeoPoint, b: GeoPoint) -> float:
    """Equirectangular distance: only used to rank nearby routes, so speed beats precision."""
    x = math.radians(b.lng - a.lng) * math.cos(math.radians((a.lat + b.lat) / 2))
    y = math.radians(b.lat - a.lat)
    return 6371.0 * math.hypot(x, y)


def _qualified(tech: Technician, visit: Visit) -> bool:
    if any(tech.skill_level(req.code) < req.min_level for req in visit.skills):
        return False
    valid = {c.code for c in tech.certifications if c.valid_at(visit.window.end)}
    if any(code not in valid for code in visit.certifications):
        return False
    return any(s.start < visit.window.end and visit.window.start < s.end for s in tech.shifts)


def _centre(tech: Technician, route: Route | None, by_id: dict[str, Visit]) -> GeoPoint:
    points = [tech.position] + [
        by_id[s.visit_id].location for s in (route.stops if route else ()) if s.visit_id in by_id
    ]
    return GeoPoint(sum(p.lat for p in points) / len(points), sum(p.lng for p in points) / len(points))


def _nearest(centre: GeoPoint, candidates: dict[str, GeoPoint], k: int, exclude: set[str]) -> list[str]:
    ranked = sorted((_km(centre, where), tid) for tid, where in candidates.items() if tid not in exclude)
    return [tid for _, tid in ranked[:k]]


def affected_technicians(
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    previous: Plan,
    change: DayChange,
    neighbours: int,
) -> tuple[set[str], set[str]]:
    """(technicians whose routes are re-solved, visits that need a new home)."""
    by_id = {v.id: v for v in visits}
    techs = {t.id: t for t in technicians}
    routes = {r.technician_id: r for r in previous.routes}
    holder = {s.visit_id: r.technician_id for r in previous.routes for s in r.stops}
    centres = {tid: _centre(t, routes.get(tid), by_id) for tid, t in techs.items()}

    touched: set[str] = {tid for tid in change.changed_technicians if tid in techs}
    for vid in change.removed_visits | change.changed_visits:
        tid = holder.get(vid)
        if tid in techs:
            touched.add(tid)
    homeless = {vid for vid in change.new_visits if vid in by_id}
    homeless |= {vid for vid, tid in holder.items() if tid in change.lost_technicians and vid in by_id}
    homeless |= {vid for vid in previous.unassigned if vid in by_id}

    selected = set(touched)
    for tid in touched:
        selected.update(_nearest(centres[tid], centres, neighbours, selected))
    for vid in sorted(homeless):
        visit = by_id[vid]
        able = {tid: centres[tid] for tid, t in techs.items() if _qualified(t, visit)}
        selected.update(_nearest(visit.location, able, neighbours, set()))
    return selected, homeless


def replan_locally(
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: TravelSource,
    previous: Plan,
    change: DayChange,
    *,
    time_limit_s: float,
    seed: int = 0,
    now: int | None = None,
    neighbours: int = 4,
    config: PlannerConfig | None = None,
) -> Plan:
    """The day after `change`, re-solving only the routes it reaches (see the module notes).

    `technicians` and `visits` describe the day *after* the change (lost technicians and
    removed visits already left out, new and changed visits in)."""
    started = time.perf_counter()
    lost = change.lost_technicians
    visits = [dataclasses.replace(v, pinned_to=None) if v.pinned_to in lost else v for v in visits]
    selected, homeless = affected_technicians(technicians, visits, previous, change, neighbours)
    by_id = {v.id: v for v in visits}
    kept_routes = [
        r for r in previous.routes if r.technician_id not in selected and r.technician_id not in lost
    ]
    kept_visits = {s.visit_id for r in kept_routes for s in r.stops}
    sub_techs = [t for t in technicians if t.id in selected]
    sub_visit_ids = {s.visit_id for r in previous.routes if r.technician_id in selected for s in r.stops}
    sub_visit_ids |= homeless
    sub_visits = [by_id[vid] for vid in sorted(sub_visit_ids) if vid in by_id and vid not in kept_visits]
    warm = Plan(routes=tuple(r for r in previous.routes if r.technician_id in selected))
    sub = plan_day(
        sub_techs,
        sub_visits,
        day,
        travel,
        time_limit_s=max(0.1, time_limit_s - (time.perf_counter() - started)),
        seed=seed,
        now=now,
        previous=warm,
        config=config,
    )
    placed = kept_visits | {s.visit_id for r in sub.routes for s in r.stops}
    unassigned = tuple(sorted(v.id for v in visits if v.id not in placed))
    stats = dict(sub.stats)
    stats.update(
        touched_routes=float(len(sub_techs)),
        kept_routes=float(len(kept_routes)),
        resolved_visits=float(len(sub_visits)),
        local_seconds=round(time.perf_counter() - started, 3),
    )
    order = {t.id: k for k, t in enumerate(technicians)}
    routes = sorted(kept_routes + list(sub.routes), key=lambda r: order.get(r.technician_id, len(order)))
    return Plan(
        routes=tuple(routes),
        unassigned=unassigned,
        objective=sub.objective,
        solver=f"local({sub.solver})",
        stats=tuple(stats.items()),
    )
