"""VROOM engine: RoutingData -> visit sequences (a construction for the neighbourhood search).

VROOM's own local search finds a good day in a few seconds where the planner's regret
insertion plus neighbourhood search needs its whole budget (``bench/BENCHMARKS.md``, metro
day), so for days it can encode the planner starts from VROOM's plan and spends the rest of
the time improving it with its own objective (fairness surcharges, exact drop penalties).
pyvroom is a runtime dependency, so production plans with the same engines as the tests.

The encoding:

* **Matrices**: durations are travel seconds, costs the planner's own arc costs, distances
  metres; nodes are the planner's (visits, then the distinct start/end points).
* **Skills** are integer sets. A level is a ladder: a technician at level 3 of a trade holds
  the skills ``(trade, 1)``, ``(trade, 2)`` and ``(trade, 3)``; a visit needing level 2 needs
  ``(trade, 2)``, so "level >= L" becomes set inclusion.
* **Certificates** use the planner's rule: a certificate must be valid through the latest
  possible end of the visit (``window.end - 1 + duration``). Each distinct such instant T of a
  certificate code is one skill ``(code, T)``; a technician holds it when their certificate
  is valid at T, and a visit needs the one for its own T.
* **Shifts**: the vehicle's time window is the working span; each gap of a split shift is a
  break fixed at the gap start lasting the whole gap. VROOM neither serves nor drives in a
  break, which is stricter than the planner's rule (a trip may pause across the gap), so
  every VROOM route is feasible for the planner.
* **Arrival windows** are job time windows (service start), **priorities** are
  ``min(100, priority factor x tier percent / 100)``, proportional to the drop penalties;
  ``max_visits_per_day`` is ``max_tasks``; capacities are single-dimension amounts.
* **Pinned** visits get a skill only their technician holds.

The planner's nearest-places restriction (``PlannerConfig.candidate_places``) is not
encoded: it only trims the neighbourhood search, and a start outside it is still a plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dispatch.problem import Visit
from dispatch.routing.data import PlannerConfig, RoutingData


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
        pin = data.pinned[i]
        if pin is not None:
            need.add(sid("pin", data.vehicles[pin].tech.id, 0))
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


def build_input(data: RoutingData, config: PlannerConfig, initial: list[list[int]] | None = None) -> Any:
    """VROOM's input; ``initial`` (visit sequences per vehicle) becomes the vehicles' steps,
    which in VROOM's solving mode are where its search starts, not a constraint."""
    # pyvroom loads pandas (a second or more): only processes that plan a large day pay it.
    import vroom  # noqa: PLC0415

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
        if initial is not None and initial[k] and not breaks:
            kwargs["steps"] = [
                vroom.VehicleStepStart(),
                *(vroom.VehicleStepSingle(i) for i in initial[k]),
                vroom.VehicleStepEnd(),
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


def solve_vroom(
    data: RoutingData,
    config: PlannerConfig,
    seconds: float | None,
    exploration_level: int,
    threads: int,
    initial: list[list[int]] | None = None,
) -> dict[str, Any]:
    """VROOM's solution as its JSON-like dict (``routes`` with ``steps``, ``summary``).
    ``seconds=None`` runs the search to its end (reproducible: same input, same plan)."""
    problem = build_input(data, config, initial)
    timeout = None if seconds is None else timedelta(seconds=max(0.05, seconds))
    solution = problem.solve(exploration_level=exploration_level, nb_threads=threads, timeout=timeout)
    raw: dict[str, Any] = solution.to_dict()
    return raw


def sequences_of(data: RoutingData, raw: dict[str, Any]) -> list[list[int]]:
    """Visit sequences per vehicle from VROOM's solution."""
    routes: list[list[int]] = [[] for _ in data.vehicles]
    for r in raw.get("routes", []):
        routes[int(r["vehicle"])] = [int(s["id"]) for s in r["steps"] if s["type"] == "job"]
    return routes


def vroom_sequences(
    data: RoutingData, config: PlannerConfig, seconds: float | None, initial: list[list[int]] | None = None
) -> list[list[int]]:
    """The construction the planner starts large days from (from ``initial`` when given)."""
    level = 5 if config.vroom_exploration is None else config.vroom_exploration
    raw = solve_vroom(data, config, seconds, level, config.vroom_threads, initial)
    return sequences_of(data, raw)
