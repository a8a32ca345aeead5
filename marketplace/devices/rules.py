"""Pure rule evaluation: thresholds held for a while, trend-predicted crossings, silence.

Samples are `(epoch seconds, value)` pairs; `now_s` is passed in. Nothing here touches the
database or the clock, so every rule is one named function a test can call directly.

Trend rule: a robust straight line over the recent window (Theil-Sen, the median of all
pairwise slopes, from `scipy.stats.theilslopes`), which shrugs off the odd spike a plain
least-squares fit would follow. A crossing is only predicted when the whole confidence
interval of the slope points toward the threshold, so flat noisy data never opens a visit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.stats import theilslopes

Sample = tuple[float, float]

MAX_TREND_POINTS = 400  # Theil-Sen is O(n²) in memory: thin longer windows evenly


class Comparison(StrEnum):
    BELOW = "below"
    ABOVE = "above"


class RuleKind(StrEnum):
    THRESHOLD = "threshold"
    TREND = "trend"
    SILENCE = "silence"


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """Fire when every reading for at least `for_s` seconds is beyond `value`."""

    comparison: Comparison
    value: float
    for_s: int = 0


@dataclass(frozen=True, slots=True)
class TrendRule:
    """Fire when the fitted line over the last `window_s` crosses `value` within `lead_s`."""

    comparison: Comparison
    value: float
    window_s: int
    lead_s: int
    min_points: int = 10
    confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class Finding:
    kind: RuleKind
    comparison: Comparison
    threshold: float
    last_value: float
    failure_at_s: float  # when it crossed (threshold) or is predicted to cross (trend)
    since_s: float | None = None  # threshold: start of the run of breaching readings
    slope_per_h: float | None = None  # trend: fitted change per hour
    points: int = 0


def beyond(value: float, comparison: Comparison, threshold: float) -> bool:
    return value < threshold if comparison is Comparison.BELOW else value > threshold


def threshold_held(samples: Sequence[Sample], rule: ThresholdRule) -> Finding | None:
    """The latest readings have been beyond the threshold for at least `for_s`.

    `samples` must be sorted by time. Only the run of breaching readings that ends at the
    newest reading counts: one good reading in between starts the clock again.
    """
    if not samples or not beyond(samples[-1][1], rule.comparison, rule.value):
        return None
    start = len(samples) - 1
    while start > 0 and beyond(samples[start - 1][1], rule.comparison, rule.value):
        start -= 1
    since, last = samples[start][0], samples[-1][0]
    if last - since < rule.for_s:
        return None
    return Finding(
        kind=RuleKind.THRESHOLD,
        comparison=rule.comparison,
        threshold=rule.value,
        last_value=samples[-1][1],
        failure_at_s=since,
        since_s=since,
        points=len(samples) - start,
    )


def predict_crossing(samples: Sequence[Sample], rule: TrendRule, now_s: float) -> Finding | None:
    """When the robust trend over the window says the threshold will be crossed within the
    lead time, the predicted crossing time (never earlier than `now_s`)."""
    window = [(t, v) for t, v in samples if now_s - rule.window_s <= t <= now_s]
    if len(window) < max(rule.min_points, 3):
        return None
    if len(window) > MAX_TREND_POINTS:
        keep = np.linspace(0, len(window) - 1, MAX_TREND_POINTS).round().astype(int)
        window = [window[i] for i in keep]
    t0 = window[0][0]
    x = np.fromiter((t - t0 for t, _ in window), dtype=float, count=len(window)) / 3600.0
    y = np.fromiter((v for _, v in window), dtype=float, count=len(window))
    if np.ptp(x) == 0:
        return None
    fit = theilslopes(y, x, alpha=rule.confidence)
    slope, intercept, low, high = (
        float(fit.slope),
        float(fit.intercept),
        float(fit.low_slope),
        float(fit.high_slope),
    )
    toward = high < 0 if rule.comparison is Comparison.BELOW else low > 0
    if not toward or slope == 0 or not math.isfinite(slope):
        return None
    crossing_h = (rule.value - intercept) / slope
    crossing_s = max(t0 + crossing_h * 3600.0, now_s)
    if crossing_s - now_s > rule.lead_s:
        return None
    return Finding(
        kind=RuleKind.TREND,
        comparison=rule.comparison,
        threshold=rule.value,
        last_value=window[-1][1],
        failure_at_s=crossing_s,
        slope_per_h=slope,
        points=len(window),
    )


def is_silent(last_reading_s: float | None, since_s: float, now_s: float, after_s: int) -> bool:
    """No reading for `after_s` (counted from registration when nothing ever arrived)."""
    return now_s - (last_reading_s if last_reading_s is not None else since_s) >= after_s


def priority_for(time_to_failure_s: float) -> int:
    """Work-order priority from the time left before the failure (0 = failing now)."""
    hours = time_to_failure_s / 3600.0
    if hours <= 4:
        return 1
    if hours <= 24:
        return 2
    if hours <= 72:
        return 3
    return 4
