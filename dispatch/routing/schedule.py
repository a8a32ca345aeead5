"""Visit sequences -> timed routes, the same way for every engine.

Engines only decide *who does what in which order*; times are computed here with an
earliest-start forward pass (arrive, wait for the window, push past off-shift gaps so the
service lies inside one shift), and the technician then leaves home "just in time" for the
first stop. For a fixed sequence the earliest-start schedule is feasible whenever any
schedule is, so this never loses a solution an engine found.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.problem import Plan, Route, Stop
from dispatch.routing.data import RoutingData


@dataclass(slots=True)
class Timed:
    arrivals: list[int]  # relative service starts, one per visit of the sequence
    start: int
    end: int
    failed_at: int | None  # position of the first visit that cannot be served, or -1 for the return


INFEASIBLE = 1 << 62


def advance(t: int, travel: int, shifts: list[tuple[int, int]]) -> int:
    """When a trip of ``travel`` on-shift seconds leaving at ``t`` arrives: technicians
    neither serve nor drive off shift (the same rule as OR-Tools vehicle breaks, which
    pause the trip). INFEASIBLE when the shifts run out first."""
    if len(shifts) == 1:
        return t + travel if t + travel <= shifts[0][1] else INFEASIBLE
    remaining = travel
    cur = t
    for s, e in shifts:
        if e < cur:
            continue
        cur = max(cur, s)
        take = min(remaining, e - cur)
        cur += take
        remaining -= take
        if remaining == 0:
            return cur
    return INFEASIBLE


def on_shift_seconds(a: int, b: int, shifts: list[tuple[int, int]]) -> int:
    return sum(max(0, min(b, e) - max(a, s)) for s, e in shifts)


def time_sequence(data: RoutingData, vehicle: int, seq: list[int]) -> Timed:
    veh = data.vehicles[vehicle]
    secs = data.travel.seconds
    t = veh.earliest_start
    here = veh.start_node
    arrivals: list[int] = []
    load = 0
    for pos, i in enumerate(seq):
        a = max(advance(t, int(secs[here, i]), veh.shifts), int(data.tw_lo[i]))
        dur = int(data.service[i])
        placed = None
        for s, e in veh.shifts:
            cand = max(a, s)
            if cand + dur <= e:
                placed = cand
                break
        load += int(data.demand[i])
        too_many = veh.max_visits is not None and pos + 1 > veh.max_visits
        over = veh.capacity is not None and load > veh.capacity
        if placed is None or placed > int(data.tw_hi[i]) or too_many or over:
            return Timed(arrivals, veh.earliest_start, t, pos)
        if data.pinned[i] is not None and data.pinned[i] != vehicle:
            return Timed(arrivals, veh.earliest_start, t, pos)
        if vehicle not in data.allowed[i]:
            return Timed(arrivals, veh.earliest_start, t, pos)
        arrivals.append(placed)
        t = placed + dur
        here = i
    end = advance(t, int(secs[here, veh.end_node]), veh.shifts)
    if end > veh.latest_end:
        return Timed(arrivals, veh.earliest_start, end, -1)
    start = veh.earliest_start
    if seq:
        # Leave just in time for the first stop when that trip stays on shift.
        first_leg = int(secs[veh.start_node, seq[0]])
        late = arrivals[0] - first_leg
        if late > start and on_shift_seconds(late, arrivals[0], veh.shifts) == first_leg:
            start = late
    return Timed(arrivals, start, end if seq else start, None)


def repair(data: RoutingData, vehicle: int, seq: list[int]) -> tuple[list[int], list[int]]:
    """Drop visits until the sequence is feasible; returns (kept, dropped).

    Used for warm starts from an older plan (windows or shifts may have changed) and as a
    safety net on engine output, where it should never fire (counted in ``Plan.stats``).
    """
    kept = list(seq)
    dropped: list[int] = []
    while True:
        timed = time_sequence(data, vehicle, kept)
        if timed.failed_at is None:
            return kept, dropped
        pos = timed.failed_at if timed.failed_at >= 0 else len(kept) - 1
        dropped.append(kept.pop(pos))


def to_plan(
    data: RoutingData,
    sequences: list[list[int]],
    solver: str,
    stats: dict[str, float],
) -> Plan:
    t0 = data.day.start
    metres = data.travel.metres
    secs = data.travel.seconds
    routes: list[Route] = []
    served: set[int] = set()
    repaired = 0
    objective = fairness = 0
    for v, raw in enumerate(sequences):
        seq, dropped = repair(data, v, raw)
        repaired += len(dropped)
        timed = time_sequence(data, v, seq)
        veh = data.vehicles[v]
        stops: list[Stop] = []
        here = veh.start_node
        total_m = total_s = 0
        for i, arr in zip(seq, timed.arrivals, strict=True):
            tm, ts = int(metres[here, i]), int(secs[here, i])
            stops.append(
                Stop(
                    visit_id=data.visits[i].id,
                    arrival=t0 + arr,
                    departure=t0 + arr + int(data.service[i]),
                    travel_s=ts,
                    travel_m=tm,
                )
            )
            objective += int(data.cost[here, i])
            total_m += tm
            total_s += ts
            here = i
            served.add(i)
        if seq:
            total_m += int(metres[here, veh.end_node])
            total_s += int(secs[here, veh.end_node])
            objective += int(data.cost[here, veh.end_node])
            fairness += data.work_cost(v, seq)
        routes.append(
            Route(
                technician_id=veh.tech.id,
                stops=tuple(stops),
                start=t0 + timed.start,
                end=t0 + timed.end,
                travel_m=total_m,
                travel_s=total_s,
            )
        )
    unassigned = [v.id for i, v in enumerate(data.visits) if i not in served]
    objective += fairness + sum(data.penalty[i] for i in range(data.n_visits) if i not in served)
    unassigned += list(data.unplaceable)
    all_stats = dict(stats)
    all_stats["fairness_cost"] = float(fairness)
    all_stats["repaired_visits"] = float(repaired)
    all_stats["candidate_visits"] = float(data.n_visits)
    all_stats["unplaceable_visits"] = float(len(data.unplaceable))
    return Plan(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        objective=objective,
        solver=solver,
        stats=tuple(sorted(all_stats.items())),
    )
