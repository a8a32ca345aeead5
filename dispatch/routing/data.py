"""Problem -> plain arrays for the routing engines (no solver objects here).

Node layout shared by every engine::

    0 .. N-1        the N candidate visits (visits that some technician could do)
    N .. N+D-1      the D distinct route start/end points (homes, current positions)

Vehicles are the usable technicians (those with shift time inside the planning day). Every
vehicle has a start node and an end node among the depot points; technicians living at the
same point share it, which keeps the matrix small and lets PyVRP group identical vehicles.

All times are integer seconds *relative to* ``day.start`` so the solvers work on small
numbers; :mod:`dispatch.routing.schedule` converts back.

Shifts: a technician's working span for the day is ``[first shift start, last shift end]``
clipped to the day. Gaps between several shifts on the same day are off-shift periods in
which no service may take place (the technician may wait or drive). OR-Tools models them as
fixed-time vehicle breaks; the schedule and the validator use the same rule ("every service
lies inside one shift"). Routes start no earlier than the first shift start (or ``now``) and
must be back at the end point by the last shift end.

Qualification: a technician may take a visit when every required skill is at or above the
level, every required certification is valid through the latest possible end of the visit
(``window.end - 1 + duration``: conservative, so an early arrival is never needed to stay
legal), and the service fits in one of their shifts inside the arrival window. Pinned visits
may only go to their technician.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatch.problem import CustomerTier, GeoPoint, Priority, Technician, TimeWindow, Visit
from dispatch.routing.travel import TravelMatrices, TravelSource, as_travel_matrices


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    """Knobs of the day planner. Costs are in travel-cost units (metres by default).

    ``drop_penalty`` is what leaving a NORMAL/STANDARD visit out costs; it is multiplied by
    ``priority_factors[priority - 1]`` and ``tier_percent[tier] / 100``. The default (1000 km
    of driving) makes the planner place every visit it feasibly can; lower it to let far-away
    low-priority visits drop. Pinned visits cost ``pinned_penalty_factor`` times more.

    ``engine``: "ortools", "pyvrp" (needs the optional ``pyvrp`` package; only for problems it
    can express) or "auto" (PyVRP when importable and the problem fits, else OR-Tools; the
    choice is based on the Solomon and metro benchmarks in ``bench/BENCHMARKS.md``).

    ``iteration_limit`` bounds the search by work instead of wall time (OR-Tools: solutions
    found; PyVRP: iterations). With it the result is reproducible bit for bit for a seed;
    with only ``time_limit_s`` it depends on how far the search gets in that time. On large
    days (``decompose_above_visits``) it becomes the solution limit of every neighbourhood
    subproblem unless ``lns_solution_limit`` is set; the search then ends when no
    neighbourhood improves any more (or after ``lns_max_subproblems``), reproducibly as long
    as that happens before the time limit.
    """

    time_limit_s: float = 5.0
    seed: int = 0
    engine: str = "auto"
    iteration_limit: int | None = None
    distance_weight: int = 1  # cost per metre
    time_weight: int = 0  # cost per travel second
    vehicle_fixed_cost: int = 0
    drop_penalty: int = 1_000_000
    priority_factors: tuple[int, int, int, int] = (20, 6, 2, 1)  # P1..P4
    tier_percent: tuple[int, int, int] = (100, 150, 200)  # STANDARD, PRIORITY, PREMIUM
    pinned_penalty_factor: int = 100
    # OR-Tools search; names from routing_enums_pb2.
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float | None = None  # OR-Tools default 0.1
    log_search: bool = False  # OR-Tools search log on stderr (debugging only)
    iterated_local_search: bool = False  # OR-Tools ruin-and-recreate ILS instead of a metaheuristic
    # Technician neighbourhood: each visit may only go to the qualified technicians who start
    # from one of its ``candidate_places`` nearest start places (ranked by the cost of a round
    # trip from the start through the visit to the technician's home). A place is a start
    # point together with every other start point within ``same_place_m`` metres, so a depot,
    # a company yard or a block of flats counts once however many technicians start there:
    # on a day where everyone lives apart this is the nearest 30 technicians, and co-located
    # technicians are never cut off from work near their start. This removes hopeless
    # cross-town assignments from the search space of large days. Visits a solver leaves
    # unplaced are offered afterwards to every qualified technician (``widen_unplaced``).
    # None = no restriction.
    candidate_places: int | None = 30
    same_place_m: int = 50
    widen_unplaced: bool = True
    # Warm start OR-Tools from the first-come greedy plan instead of its own first-solution
    # heuristic when the problem has at least this many visits (construction heuristics are
    # slow on very large models); None = never.
    greedy_start_from_visits: int | None = None
    # Days with more visits than this are solved by ``large_day`` (see below); smaller days
    # by one OR-Tools model over the whole day; None = never split. On the metro bench
    # (bench/BENCHMARKS.md) the global construction plus neighbourhood search beats guided
    # local search over the whole model at 150 and 300 visits (300 x 40: 0.89x the travel).
    decompose_above_visits: int | None = 120
    # Days solved by ``large_day="lns"`` with at most this many visits get the time the
    # neighbourhood search leaves over (it stops when no neighbourhood improves) as guided
    # local search over the whole model, warm-started from the LNS plan; None = never.
    polish_up_to_visits: int | None = 600
    region_visits: int = 250
    # How days above ``decompose_above_visits`` are solved: "lns" = a global greedy plan
    # improved by neighbourhood decomposition (dispatch.routing.improve), "regions" = the
    # older independent k-means regions (dispatch.routing.decompose).
    large_day: str = "lns"
    # regret-k insertion for the global start (1 = cheapest insertion, 0 = first-come greedy)
    construct_regret: int = 3
    # The global start of an "lns" large day: "vroom" = VROOM's plan (its own local search,
    # dispatch.routing.vroom_engine), completed by regret insertion; "regret" = regret
    # insertion alone. VROOM gets at most ``vroom_share`` of the time left after building
    # the data, at ``vroom_exploration`` (1..5; None = by day size, see
    # dispatch.routing.planner.vroom_level) with ``vroom_threads`` threads. A search bounded
    # by work (``lns_max_subproblems`` or ``iteration_limit``) lets VROOM finish instead, so
    # its plan is reproducible.
    construct: str = "vroom"
    vroom_share: float = 0.6
    vroom_exploration: int | None = None
    vroom_threads: int = 2
    vroom_kicks: bool = True  # VROOM's search from the current routes between LNS rounds
    lns_routes: int = 12  # routes per subproblem
    lns_subproblem_seconds: float = 0.15  # OR-Tools time per subproblem
    # Once no neighbourhood improves (and no VROOM kick helped), every route is queued again
    # with twice the subproblem time, at most this many times. None = stop when the queue
    # first empties.
    lns_escalations: int | None = 3
    lns_solution_limit: int | None = None  # OR-Tools solutions per subproblem (reproducible)
    lns_max_subproblems: int | None = None  # stop after this many subproblems
    lns_metaheuristic: str | None = None  # subproblem search; None = ``metaheuristic``
    lns_workers: int = 1  # >1: disjoint subproblems solved in worker processes
    # PyVRP is only chosen automatically when the qualification structure needs at most this
    # many distinct distance profiles (one matrix copy each).
    max_pyvrp_profiles: int = 8
    # Fair shares of the work. A technician whose share of the region's recent work
    # (``Technician.recent_work_share``) is p percentage points above the least-loaded
    # technician of the day pays ``fairness_per_pct_hour * p`` cost units for every hour of
    # service they are given (``Vehicle.work_surcharge``, per minute). The plan then leans
    # work toward those who have had less wherever the extra driving costs less than that,
    # and never drops a visit for it (drop penalties are far larger). 0 = off.
    fairness_per_pct_hour: int = 0

    @property
    def bounded_by_work(self) -> bool:
        """The large-day search stops after a number of subproblems or solutions, not at the
        clock, so its plan is the same on every run: nothing after it is bounded by time."""
        return self.lns_max_subproblems is not None or self.iteration_limit is not None

    def penalty(self, visit: Visit) -> int:
        prio = self.priority_factors[int(Priority(visit.priority)) - 1]
        tier = self.tier_percent[int(CustomerTier(visit.tier))]
        base = self.drop_penalty * prio * tier // 100
        return base * self.pinned_penalty_factor if visit.pinned_to is not None else base


@dataclass(slots=True)
class Vehicle:
    tech: Technician
    start_node: int
    end_node: int
    earliest_start: int  # relative seconds
    latest_end: int
    shifts: list[tuple[int, int]]  # relative, clipped, sorted; service must fit in one
    capacity: int | None
    max_visits: int | None
    work_surcharge: int = 0  # cost units per minute of service given to this vehicle (fairness)

    @property
    def gaps(self) -> list[tuple[int, int]]:
        return [(a[1], b[0]) for a, b in zip(self.shifts, self.shifts[1:], strict=False) if b[0] > a[1]]


@dataclass(slots=True)
class RoutingData:
    day: TimeWindow
    visits: list[Visit]  # candidates, node i = visits[i]
    vehicles: list[Vehicle]
    depot_points: list[GeoPoint]
    travel: TravelMatrices  # over nodes (visits then depot points)
    cost: np.ndarray  # arc cost over nodes
    service: np.ndarray  # per node
    tw_lo: np.ndarray  # per visit, relative, inclusive
    tw_hi: np.ndarray  # per visit, relative, inclusive (latest service start)
    demand: np.ndarray
    allowed: list[list[int]]  # vehicles per visit
    penalty: list[int]
    pinned: list[int | None]  # vehicle index per visit
    eligible: list[list[int]] = field(default_factory=list)  # every vehicle qualified for each visit
    unplaceable: dict[str, str] = field(default_factory=dict)  # visit id -> reason

    @property
    def n_visits(self) -> int:
        return len(self.visits)

    @property
    def horizon(self) -> int:
        return self.day.end - self.day.start

    def all_allowed(self, i: int) -> bool:
        return len(self.allowed[i]) == len(self.vehicles)

    @property
    def fair_shares(self) -> bool:
        return any(v.work_surcharge for v in self.vehicles)

    def work_cost(self, vehicle: int, seq: list[int]) -> int:
        """The fairness surcharge of giving ``seq`` to ``vehicle``: its rate per whole minute
        of service."""
        rate = self.vehicles[vehicle].work_surcharge
        return rate * int((self.service[seq] // 60).sum()) if rate and seq else 0


def work_surcharges(techs: Sequence[Technician], config: PlannerConfig) -> list[int]:
    """Per technician, cost units per minute of service: ``config.fairness_per_pct_hour`` for
    every percentage point of recent work above the least-loaded of ``techs``."""
    if not config.fairness_per_pct_hour or not techs:
        return [0] * len(techs)
    least = min(t.recent_work_share for t in techs)
    return [round(config.fairness_per_pct_hour * (t.recent_work_share - least) * 100 / 60) for t in techs]


def qualified(tech: Technician, visit: Visit) -> str | None:
    """Why ``tech`` may not take ``visit`` on skills/certifications (None when it may)."""
    for req in visit.skills:
        if tech.skill_level(req.code) < req.min_level:
            return f"missing_skill:{req}"
    latest_end = visit.window.end - 1 + visit.duration_s
    for code in visit.certifications:
        if not any(c.code == code and c.valid_at(latest_end) for c in tech.certifications):
            return f"missing_certification:{code}"
    return None


def fits_a_shift(shifts: Sequence[tuple[int, int]], lo: int, hi: int, duration: int) -> bool:
    """Whether service of ``duration`` can start in [lo, hi] and finish inside one shift."""
    for s, e in shifts:
        start = max(lo, s)
        if start <= hi and start + duration <= e:
            return True
    return False


def build_routing_data(
    technicians: Sequence[Technician],
    visits: Sequence[Visit],
    day: TimeWindow,
    travel: TravelSource,
    config: PlannerConfig,
    now: int | None = None,
) -> RoutingData:
    """Filter, index and cost the problem. ``travel`` is a provider or, for callers that
    already hold them, matrices laid out as ``visits + [start, end point of each technician]``.
    """
    t0 = day.start
    horizon = day.end - day.start
    floor = 0 if now is None else max(0, now - t0)
    unplaceable: dict[str, str] = {}

    ids = [v.id for v in visits]
    if len(set(ids)) != len(ids):
        raise ValueError("visit ids must be unique")
    tech_ids = [t.id for t in technicians]
    if len(set(tech_ids)) != len(tech_ids):
        raise ValueError("technician ids must be unique")

    # Usable technicians and their clipped shifts.
    usable: list[tuple[Technician, list[tuple[int, int]]]] = []
    for tech in technicians:
        shifts: list[tuple[int, int]] = []
        for s in sorted(tech.shifts, key=lambda w: w.start):
            a, b = max(s.start - t0, floor), min(s.end - t0, horizon)
            if b > a:
                shifts.append((a, b))
        if shifts:
            usable.append((tech, shifts))
    vehicle_of = {tech.id: k for k, (tech, _) in enumerate(usable)}

    # Distinct start/end points.
    depot_points: list[GeoPoint] = []
    depot_index: dict[GeoPoint, int] = {}

    def depot(p: GeoPoint) -> int:
        if p not in depot_index:
            depot_index[p] = len(depot_points)
            depot_points.append(p)
        return depot_index[p]

    raw_vehicles = []
    for tech, shifts in usable:
        start_point = tech.position if now is not None else tech.home
        raw_vehicles.append((tech, shifts, depot(start_point), depot(tech.home)))

    # Candidate visits and their allowed vehicles.
    cand: list[Visit] = []
    allowed: list[list[int]] = []
    for visit in visits:
        lo = max(visit.window.start - t0, floor, 0)
        hi = min(visit.window.end - 1 - t0, horizon)
        if hi < lo:
            unplaceable[visit.id] = "window_outside_day"
            continue
        if visit.pinned_to is not None:
            pool = [vehicle_of[visit.pinned_to]] if visit.pinned_to in vehicle_of else []
            if not pool:
                unplaceable[visit.id] = f"pinned_technician_unavailable:{visit.pinned_to}"
                continue
        else:
            pool = list(range(len(usable)))
        ok: list[int] = []
        reason = "no_technician_on_shift"
        for k in pool:
            tech, shifts = usable[k]
            why = qualified(tech, visit)
            if why is not None:
                reason = why
                continue
            if not fits_a_shift(shifts, lo, hi, visit.duration_s):
                reason = "off_shift"
                continue
            ok.append(k)
        if not ok:
            unplaceable[visit.id] = reason
            continue
        cand.append(visit)
        allowed.append(ok)

    n = len(cand)
    points = [v.location for v in cand] + depot_points
    if isinstance(travel, TravelMatrices):
        matrices = travel
        if matrices.size != len(points):
            raise ValueError(f"travel matrices are {matrices.size} wide, expected {len(points)}")
    elif callable(travel):
        matrices = as_travel_matrices(travel(points))
    else:  # a dispatch.geo TravelModel
        coords = np.array([(p.lat, p.lng) for p in points], dtype=np.float64).reshape(-1, 2)
        matrices = as_travel_matrices(travel.matrices(coords, coords))
    cost = matrices.metres * config.distance_weight + matrices.seconds * config.time_weight

    eligible = [list(ks) for ks in allowed]
    if config.candidate_places is not None:
        starts = np.array([n + s for _, _, s, _ in raw_vehicles], dtype=np.int64)
        ends = np.array([n + e for _, _, _, e in raw_vehicles], dtype=np.int64)
        place = _places(matrices.metres, starts, config.same_place_m)
        for i, ks in enumerate(allowed):
            if len(ks) > config.candidate_places:
                allowed[i] = nearest_places(cost, i, ks, starts, ends, place, config.candidate_places)
    surcharges = work_surcharges([tech for tech, *_ in raw_vehicles], config)
    vehicles = [
        Vehicle(
            tech=tech,
            start_node=n + s,
            end_node=n + e,
            earliest_start=shifts[0][0],
            latest_end=shifts[-1][1],
            shifts=shifts,
            capacity=tech.capacity,
            max_visits=tech.max_visits_per_day,
            work_surcharge=surcharge,
        )
        for (tech, shifts, s, e), surcharge in zip(raw_vehicles, surcharges, strict=True)
    ]
    service = np.zeros(len(points), dtype=np.int64)
    service[:n] = [v.duration_s for v in cand]
    tw_lo = np.array([max(v.window.start - t0, floor, 0) for v in cand], dtype=np.int64)
    tw_hi = np.array([min(v.window.end - 1 - t0, horizon) for v in cand], dtype=np.int64)
    demand = np.zeros(len(points), dtype=np.int64)
    demand[:n] = [v.demand for v in cand]
    return RoutingData(
        day=day,
        visits=cand,
        vehicles=vehicles,
        depot_points=depot_points,
        travel=matrices,
        cost=cost,
        service=service,
        tw_lo=tw_lo,
        tw_hi=tw_hi,
        demand=demand,
        allowed=allowed,
        penalty=[config.penalty(v) for v in cand],
        pinned=[vehicle_of[v.pinned_to] if v.pinned_to is not None else None for v in cand],
        eligible=eligible,
        unplaceable=unplaceable,
    )


def _places(metres: np.ndarray, starts: np.ndarray, same_place_m: int) -> np.ndarray:
    """A place id per vehicle: start points within ``same_place_m`` of a place's first point
    (both ways) belong to that place."""
    leaders: list[int] = []  # node of each place's first start point
    place_of_node: dict[int, int] = {}
    out = np.empty(len(starts), dtype=np.int64)
    for k, node in enumerate(starts.tolist()):
        if node not in place_of_node:
            found = -1
            if leaders:
                lead = np.asarray(leaders, dtype=np.int64)
                near = (metres[node, lead] <= same_place_m) & (metres[lead, node] <= same_place_m)
                hits = np.flatnonzero(near)
                if len(hits):
                    found = int(hits[0])
            if found < 0:
                found = len(leaders)
                leaders.append(node)
            place_of_node[node] = found
        out[k] = place_of_node[node]
    return out


def nearest_places(
    cost: np.ndarray,
    visit: int,
    vehicles: list[int],
    starts: np.ndarray,
    ends: np.ndarray,
    place: np.ndarray,
    limit: int,
) -> list[int]:
    """The ``vehicles`` whose place is among the ``limit`` places nearest to ``visit`` (a
    place's distance is its members' cheapest round trip start -> visit -> home)."""
    ks = np.asarray(vehicles, dtype=np.int64)
    round_trip = cost[starts[ks], visit] + cost[visit, ends[ks]]
    order = np.lexsort((ks, round_trip))
    ranked_places, first = np.unique(place[ks[order]], return_index=True)
    keep = ranked_places[np.argsort(first, kind="stable")[:limit]]
    return sorted(int(k) for k in ks[np.isin(place[ks], keep)])
