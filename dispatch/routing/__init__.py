"""Day planner (VRPTW) for Fieldhand: technicians' shifts, visits' windows, skills, pins.

Public API::

    plan_day(technicians, visits, day, travel, *, time_limit_s, seed=0, now=None,
             previous=None, config=None) -> Plan
    greedy_plan(technicians, visits, day, travel, *, now=None, config=None) -> Plan
    PlannerConfig, TravelMatrices, euclidean_provider, haversine_provider

Layout: ``data`` (problem -> arrays), ``ortools_engine`` / ``pyvrp_engine`` (arrays ->
sequences), ``schedule`` (sequences -> timed Plan), ``greedy`` (first-come baseline).
Large days (more than ``PlannerConfig.decompose_above_visits`` visits): a global start, from
``vroom_engine`` (VROOM's search, when it is expected to finish in its share of the budget) or
``construct`` (regret insertion), then ``improve`` (neighbourhood decomposition, OR-Tools on
a few nearby routes at a time, with VROOM's search from the current routes between rounds);
``decompose`` holds the older independent-regions strategy.
Solver objects never leave the engine modules.
"""

from dispatch.routing.data import PlannerConfig
from dispatch.routing.greedy import greedy_plan
from dispatch.routing.planner import plan_day
from dispatch.routing.travel import (
    TravelMatrices,
    TravelProvider,
    TravelSource,
    as_travel_matrices,
    euclidean_provider,
    haversine_provider,
)

__all__ = [
    "PlannerConfig",
    "TravelMatrices",
    "TravelProvider",
    "TravelSource",
    "as_travel_matrices",
    "euclidean_provider",
    "greedy_plan",
    "haversine_provider",
    "plan_day",
]
