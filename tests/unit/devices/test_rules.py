"""The pure device rules: threshold held for a while, Theil-Sen crossing prediction, silence."""

from __future__ import annotations

import random

import pytest

from marketplace.devices.rules import (
    Comparison,
    RuleKind,
    ThresholdRule,
    TrendRule,
    is_silent,
    predict_crossing,
    priority_for,
    threshold_held,
)

LOW = ThresholdRule(Comparison.BELOW, 1.0, for_s=600)


def minutes(values: list[float], start: float = 0.0) -> list[tuple[float, float]]:
    return [(start + 60.0 * i, v) for i, v in enumerate(values)]


def test_threshold_fires_only_after_the_duration() -> None:
    assert threshold_held(minutes([1.5] * 5 + [0.8] * 10), LOW) is None  # 9 minutes below
    found = threshold_held(minutes([1.5] * 5 + [0.8] * 11), LOW)
    assert found is not None and found.kind is RuleKind.THRESHOLD
    assert found.since_s == 300.0 and found.last_value == 0.8 and found.points == 11


def test_a_good_reading_restarts_the_clock() -> None:
    assert threshold_held(minutes([0.8] * 8 + [1.2] + [0.8] * 8), LOW) is None
    assert threshold_held(minutes([0.8] * 20 + [1.2]), LOW) is None  # recovered now


def test_threshold_above_and_zero_duration() -> None:
    hot = ThresholdRule(Comparison.ABOVE, 90.0, for_s=0)
    assert threshold_held(minutes([70, 95]), hot) is not None
    assert threshold_held(minutes([95, 70]), hot) is None
    assert threshold_held([], hot) is None


def test_falling_trend_predicts_the_crossing() -> None:
    # 2.0 bar falling 0.01 bar/min: 1.0 bar is reached at minute 100
    values = [2.0 - 0.01 * i for i in range(60)]
    rule = TrendRule(Comparison.BELOW, 1.0, window_s=3600, lead_s=86400, min_points=10)
    now = 59 * 60.0
    found = predict_crossing(minutes(values), rule, now)
    assert found is not None and found.kind is RuleKind.TREND
    assert found.failure_at_s == pytest.approx(100 * 60.0, abs=1.0)
    assert found.slope_per_h == pytest.approx(-0.6)


def test_trend_is_robust_to_spikes() -> None:
    values = [2.0 - 0.01 * i for i in range(60)]
    for i in (10, 25, 40):
        values[i] = 9.0  # sensor glitches a least-squares line would follow
    rule = TrendRule(Comparison.BELOW, 1.0, window_s=3600, lead_s=86400)
    found = predict_crossing(minutes(values), rule, 59 * 60.0)
    assert found is not None
    assert found.failure_at_s == pytest.approx(100 * 60.0, abs=120.0)


def test_no_prediction_beyond_the_lead_time_or_for_flat_noise() -> None:
    values = [2.0 - 0.01 * i for i in range(60)]
    short = TrendRule(Comparison.BELOW, 1.0, window_s=3600, lead_s=1800)
    assert predict_crossing(minutes(values), short, 59 * 60.0) is None  # 41 min away > 30 min
    rng = random.Random(7)
    noise = [1.5 + rng.uniform(-0.05, 0.05) for _ in range(120)]
    rule = TrendRule(Comparison.BELOW, 1.0, window_s=7200, lead_s=30 * 86400)
    assert predict_crossing(minutes(noise), rule, 119 * 60.0) is None
    rising = [1.0 + 0.01 * i for i in range(60)]
    assert predict_crossing(minutes(rising), rule, 59 * 60.0) is None


def test_trend_needs_enough_points_in_the_window() -> None:
    values = [2.0 - 0.01 * i for i in range(60)]
    rule = TrendRule(Comparison.BELOW, 1.0, window_s=300, lead_s=86400, min_points=10)
    assert predict_crossing(minutes(values), rule, 59 * 60.0) is None  # 6 points in 5 minutes


def test_long_windows_are_thinned_not_refused() -> None:
    values = [2.0 - 0.0001 * i for i in range(5000)]
    rule = TrendRule(Comparison.BELOW, 1.0, window_s=5000 * 60, lead_s=90 * 86400)
    found = predict_crossing(minutes(values), rule, 4999 * 60.0)
    assert found is not None and found.points == 400
    assert found.failure_at_s == pytest.approx(10000 * 60.0, rel=0.01)


def test_silence_and_priority() -> None:
    assert is_silent(None, since_s=0, now_s=3600, after_s=3600)
    assert not is_silent(3000, since_s=0, now_s=3600, after_s=3600)
    assert [priority_for(h * 3600) for h in (0, 4, 5, 24, 48, 100)] == [1, 1, 2, 2, 3, 4]
