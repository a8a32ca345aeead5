"""VROOM (``pyvroom``, a dev/bench dependency) as a reference engine for the day planner.

The same day the planner sees, encoded for VROOM:

* **Matrices and candidates** come from :func:`dispatch.routing.data.build_routing_data`
  without the planner's nearest-places restriction: nodes are the candidate visits then the
  distinct start/end points; durations are travel seconds, costs are travel metres (the
  planner's default objective), distances are metres.
* **Skills** are integer sets. A level is a ladder: a technician at level 3 of a trade holds
  the skills ``(trade, 1)``, ``(trade, 2)`` and ``(trade, 3)``; a visit needing level 2 needs
  ``(trade, 2)``, so "level >= L" becomes set inclusion.
* **Certificates** use the planner's rule exactly: a certificate must be valid through the
  latest possible end of the visit (``window.end - 1 + duration``). Each distinct such
  instant T of a certificate code is one skill ``(code, T)``; a technician holds it when their
  certificate is valid at T, and a visit needs the one for its own T. A certificate that
  expires during the day thus still counts for the visits that end before it expires.
* **Shifts**: the vehicle's time window is the working span (first shift start .. last shift
  end); each gap of a split shift is a break fixed at the gap start lasting the whole gap.
  VROOM neither serves nor drives during a break (it drives after it), which is stricter
  than the project's rule (a trip may pause across the gap), so this is conservative.
* **Arrival windows** are job time windows (service start), **priorities** are job
  priorities ``min(100, priority factor x tier percent / 100)`` from
  :class:`dispatch.routing.data.PlannerConfig` (VROOM maximises the placed priority first),
  ``max_visits_per_day`` is ``max_tasks`` and capacities are single-dimension amounts.
* **Pinned** visits get a skill only their technician holds.

The result is turned into a :class:`dispatch.problem.Plan` with VROOM's own service start
times (not re-timed by the planner), so the project's validator checks VROOM's schedule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from dispatch.problem import Plan, Route, Stop, Technician, TimeWindow, Visit
from dispatch.routing.data import PlannerConfig, RoutingData, build_routing_data
from dispatch.routing.travel import TravelSource


class _SkillIds:
    def __init__(self) -> None:
        self.ids: dict[tuple[str, str, int], int] = {}

    def __call__(self, kind: str, code: str, value: int) -> int:
        key = (kind, code, value)
        if key not in self.ids:
            self.ids[key] = len(self.ids) + 1
        return self.ids[key]


def latest_end(visit: Visit) -> int:
    """The instant a visit's certificates must be valid through (the planner's rule)."""
    return visit.window.end - 1 + visit.duration_s


def skill_sets(data: RoutingData) -> tuple[list[set[int]], list[set[int]]]:
    """(skills per vehicle, skills per candidate visit) as integer sets."""
    sid = _SkillIds()
    thresholds: dict[str, set[int]] = {}
    visit_skills: list[set[int]] = []
    for i, visit in enumerate(data.visits):
        need = {sid("skill", r.code, r.min_level) for r in visit.skills}
        for code in visit.certifications:
            t = latest_end(visit)
            thresholds.setdefault(code, set()).add(t)
            need.add(sid("cert", code, t))
        if data.pinned[i] is not None:
            need.add(sid("pin", data.vehicles[data.pinned[i]].tech.id, 0))
        visit_skills.append(need)
    vehicle_skills: list[set[int]] = []
    pinned_to = {data.vehicles[k].tech.id for k in data.pinned if k is not None}
    for veh in data.vehicles:
        tech = veh.tech
        have: set[int] = set()
        for code, level in tech.skills:
            have.update(sid("skill", code, lv) for lv in range(1, level + 1))
        for cert in tech.certifications:
            for t in thresholds.get(cert.code, ()):
                if cert.valid_at(t):
                    have.add(sid("cert", cert.code, t))
        if tech.id in pinned_to:
            have.add(sid("pin", tech.id, 0))
        vehicle_skills.append(have)
    return vehicle_skills, visit_skills


def vroom_priority(config: PlannerConfig, visit: Visit) -> int:
    prio = config.priority_factors[int(visit.priority) - 1]
    return min(100, prio * config.tier_percent[int(visit.tier)] // 100)


def build_input(data: RoutingData, config: PlannerConfig) -> Any:
    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix("car", data.travel.seconds.astype("uint32"))
    problem.set_distances_matrix("car", data.travel.metres.astype("uint32"))
    problem.set_costs_matrix("car", data.cost.astype("uint32"))
    vehicle_skills, visit_skills = skill_sets(data)
    uses_capacity = any(v.capacity is not None for v in data.vehicles) and bool(data.demand.any())
    for k, veh in enumerate(data.vehicles):
        kwargs: dict[str, Any] = {}
        if veh.max_visits is not None:
            kwargs["max_tasks"] = veh.max_visits
        if uses_capacity:
            kwargs["capacity"] = [veh.capacity if veh.capacity is not None else 2**31 - 1]
        breaks = [
            vroom.Break(id=j + 1, time_windows=[vroom.TimeWindow(a, a)], service=b - a)
            for j, (a, b) in enumerate(veh.gaps)
        ]
        problem.add_vehicle(
            vroom.Vehicle(
                id=k,
                start=veh.start_node,
                end=veh.end_node,
                skills=vehicle_skills[k],
                time_window=vroom.TimeWindow(veh.earliest_start, veh.latest_end),
                breaks=breaks,
                **kwargs,
            )
        )
    for i, visit in enumerate(data.visits):
        kwargs = {"delivery": [int(data.demand[i])]} if uses_capacity else {}
        problem.add_job(
            vroom.Job(
                id=i,
                location=i,
                default_service=int(data.service[i]),
                skills=visit_skills[i],
                priority=vroom_priority(config, visit),
                time_windows=[vroom.TimeWindow(int(data.tw_lo[i]), int(data.tw_hi[i]))],
                **kwargs,
            )
        )
    return problem


def vroom_plan(
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: TravelSource,
    *,
    time_limit_s: float,
    threads: int = 2,
    exploration_level: int = 5,
    config: PlannerConfig | None = None,
) -> Plan:
    """Plan the day with VROOM; the time limit covers building the matrices too (not
    importing pyvroom, which loads pandas: seconds on a busy machine)."""
    import vroom  # noqa: F401

    started = time.perf_counter()
    cfg = config or PlannerConfig()
    unrestricted = PlannerConfig(candidate_places=None, distance_weight=1, time_weight=0)
    data = build_routing_data(technicians, visits, day, travel, unrestricted)
    problem = build_input(data, cfg)
    build_s = time.perf_counter() - started
    budget = max(0.1, time_limit_s - build_s)
    solution = problem.solve(
        exploration_level=exploration_level, nb_threads=threads, timeout=timedelta(seconds=budget)
    )
    raw = solution.to_dict()
    return _to_plan(data, raw, {"build_seconds": round(build_s, 3), "threads": float(threads)})


def _to_plan(data: RoutingData, raw: dict[str, Any], stats: dict[str, float]) -> Plan:
    t0 = data.day.start
    metres, secs = data.travel.metres, data.travel.seconds
    routes: dict[int, Route] = {}
    served: set[int] = set()
    for r in raw.get("routes", []):
        k = int(r["vehicle"])
        veh = data.vehicles[k]
        here = veh.start_node
        stops: list[Stop] = []
        total_m = total_s = 0
        start = end = 0
        for step in r["steps"]:
            kind = step["type"]
            if kind == "start":
                start = int(step["arrival"])
            elif kind == "end":
                end = int(step["arrival"])
            elif kind == "job":
                i = int(step["id"])
                begin = int(step["arrival"]) + int(step.get("waiting_time", 0))
                tm, ts = int(metres[here, i]), int(secs[here, i])
                stops.append(
                    Stop(
                        visit_id=data.visits[i].id,
                        arrival=t0 + begin,
                        departure=t0 + begin + int(data.service[i]),
                        travel_s=ts,
                        travel_m=tm,
                    )
                )
                total_m += tm
                total_s += ts
                here = i
                served.add(i)
        if stops:
            total_m += int(metres[here, veh.end_node])
            total_s += int(secs[here, veh.end_node])
        routes[k] = Route(
            technician_id=veh.tech.id,
            stops=tuple(stops),
            start=t0 + start,
            end=t0 + end,
            travel_m=total_m,
            travel_s=total_s,
        )
    all_routes = tuple(
        routes.get(k, Route(technician_id=v.tech.id, start=t0 + v.earliest_start, end=t0 + v.earliest_start))
        for k, v in enumerate(data.vehicles)
    )
    unassigned = [v.id for i, v in enumerate(data.visits) if i not in served] + list(data.unplaceable)
    summary = raw.get("summary", {})
    out_stats = dict(stats)
    out_stats["candidate_visits"] = float(data.n_visits)
    out_stats["unplaceable_visits"] = float(len(data.unplaceable))
    out_stats["vroom_cost"] = float(summary.get("cost", 0))
    return Plan(
        routes=all_routes,
        unassigned=tuple(unassigned),
        objective=int(summary.get("cost", 0)),
        solver="vroom",
        stats=tuple(sorted(out_stats.items())),
    )
