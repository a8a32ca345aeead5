"""VROOM on its own, as the reference engine of the metro benchmark.

The day is encoded by :mod:`dispatch.routing.vroom_engine` (the encoding the planner also
uses for its construction), built without the planner's nearest-places restriction and with
costs in metres, and solved with VROOM's full search at the given exploration level.

The result is turned into a :class:`dispatch.problem.Plan` with VROOM's own service start
times (not re-timed by the planner), so the project's validator checks VROOM's schedule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dispatch.problem import Plan, Route, Stop, Technician, TimeWindow, Visit
from dispatch.routing.data import PlannerConfig, RoutingData, build_routing_data
from dispatch.routing.travel import TravelSource
from dispatch.routing.vroom_engine import solve_vroom


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
    build_s = time.perf_counter() - started
    raw = solve_vroom(data, cfg, max(0.1, time_limit_s - build_s), exploration_level, threads)
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
