"""The dispatch score weights in force: the defaults, with the fairness weight from
`FIELDHAND_DISPATCH_FAIRNESS_PER_PCT` (0 switches the term off), and the same weight in the
day planner's units.

The setting shares the dispatch prefix but is read here, in the fairness domain, so that
offer rounds (below assignment in the domain layers) can rank with it.
"""

from __future__ import annotations

import dataclasses

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch.scoring import DEFAULT_WEIGHTS, ScoreWeights


class FairnessConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_DISPATCH_", extra="ignore")

    # cost points per percentage point of the region's recent earnings a technician already
    # had (`marketplace.fairness.recent_work`); 0 ranks on travel, rating and SLA alone
    fairness_per_pct: float = Field(default=DEFAULT_WEIGHTS.fairness_per_pct, ge=0)


# A score point is one minute of travel; in town (30 km/h) that is 500 m, the day planner's
# cost unit being the metre.
METRES_PER_POINT = 500


def planner_fairness(config: FairnessConfig | None = None) -> int:
    """The same weight for the day planner: metres of driving worth moving one hour of work
    away from a technician for each percentage point of recent work they had above the
    least-loaded (`dispatch.routing.PlannerConfig.fairness_per_pct_hour`). The ranking
    charges the term once per job, the planner per hour of service, a typical job's length."""
    return round((config or FairnessConfig()).fairness_per_pct * METRES_PER_POINT)


def score_weights(config: FairnessConfig | None = None) -> ScoreWeights:
    fairness = (config or FairnessConfig()).fairness_per_pct
    if fairness == DEFAULT_WEIGHTS.fairness_per_pct:
        return DEFAULT_WEIGHTS
    return dataclasses.replace(DEFAULT_WEIGHTS, fairness_per_pct=fairness)
