"""The dispatch score weights in force: the defaults, with the fairness weight from the
dispatch configuration (`FIELDHAND_DISPATCH_FAIRNESS_PER_PCT`; 0 switches the term off)."""

from __future__ import annotations

import dataclasses

from dispatch.scoring import DEFAULT_WEIGHTS, ScoreWeights
from marketplace.dispatching.config import DispatchConfig, load_config


def score_weights(config: DispatchConfig | None = None) -> ScoreWeights:
    fairness = (config or load_config()).fairness_per_pct
    if fairness == DEFAULT_WEIGHTS.fairness_per_pct:
        return DEFAULT_WEIGHTS
    return dataclasses.replace(DEFAULT_WEIGHTS, fairness_per_pct=fairness)
