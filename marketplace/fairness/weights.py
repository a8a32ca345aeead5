"""The dispatch score weights in force: the defaults, with the fairness weight from
`FIELDHAND_DISPATCH_FAIRNESS_PER_PCT` (0 switches the term off).

The setting shares the dispatch prefix but is read here, in the fairness domain, so that
offer rounds (below dispatching in the domain layers) can rank with it.
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


def score_weights(config: FairnessConfig | None = None) -> ScoreWeights:
    fairness = (config or FairnessConfig()).fairness_per_pct
    if fairness == DEFAULT_WEIGHTS.fairness_per_pct:
        return DEFAULT_WEIGHTS
    return dataclasses.replace(DEFAULT_WEIGHTS, fairness_per_pct=fairness)
