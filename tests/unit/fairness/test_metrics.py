"""Fairness metrics against values worked out by hand."""

from __future__ import annotations

import pytest

from marketplace.fairness.counter_pricing import Alternative, Band, CounterCase, Verdict, price_counter
from marketplace.fairness.metrics import TechnicianPeriod, fairness, gini

HOUR = 3600


def test_constructed_history_matches_hand_computed_values() -> None:
    # a: 6 offers in 4 h, won 3 (declined 2, expired 1), earned 300
    # b: 3 offers in 2 h, won 1 (declined 1, 1 still open), earned 100
    # c: 1 offer in 4 h, nothing answered yet, earned 0
    history = [
        TechnicianPeriod("a", 4 * HOUR, offered=6, won=3, declined=2, expired=1, earnings_minor=300),
        TechnicianPeriod("b", 2 * HOUR, offered=3, won=1, declined=1, expired=0, earnings_minor=100),
        TechnicianPeriod("c", 4 * HOUR, offered=1, won=0, declined=0, expired=0, earnings_minor=0),
    ]
    f = fairness(history)
    a, b, c = f.technicians
    assert (f.offered, f.won, f.earnings_minor) == (10, 4, 400)
    assert (a.offer_share, b.offer_share, c.offer_share) == (0.6, 0.3, 0.1)
    assert (a.win_share, b.win_share, c.win_share) == (0.75, 0.25, 0.0)
    assert (a.earnings_share, b.earnings_share) == (0.75, 0.25)
    assert (a.exposure_per_hour, b.exposure_per_hour, c.exposure_per_hour) == (1.5, 1.5, 0.25)
    assert a.acceptance_rate == 0.5 and b.acceptance_rate == 0.5 and c.acceptance_rate is None
    # Gini of earnings (0, 100, 300): sum |xi - xj| over ordered pairs = 2*(100+300+200) = 1200;
    # / (2 n^2 mean) = 1200 / (2 * 9 * 133.33) = 0.5
    assert f.gini_earnings == pytest.approx(0.5)
    # offers (1, 3, 6): pairs 2+5+3 = 10, x2 = 20; / (2 * 9 * 10/3) = 1/3
    assert f.gini_offers == pytest.approx(1 / 3)
    assert f.exposure_per_hour == pytest.approx(10 / 10)
    assert f.acceptance_rate == pytest.approx(4 / 8)


def test_gini_edges() -> None:
    assert gini([]) == 0.0
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 10]) == pytest.approx(3 / 4)


BAND = Band(minor_per_point=50, accept_within_bps=500, decline_above_bps=2_000, max_fee_share_bps=5_000)


def _case(pay: int, *, sla_met: bool = True, alt_sla: bool = True) -> CounterCase:
    # own cost 10 points (500 minor), alternative 20 points (1000 minor), quoted pay 9600, fee 2400
    return CounterCase(
        currency="eur",
        quoted_pay_minor=9_600,
        fee_minor=2_400,
        counter_pay_minor=pay,
        own_cost=1_000,
        own_travel_s=600,
        sla_met=sla_met,
        alternative=Alternative(cost=2_000, travel_s=1_800, sla_met=alt_sla),
        drop_penalty=100_000,
    )


def test_counter_band_edges() -> None:
    # alternative total 9600 + 1000 = 10600; accept up to 11130, decline above 12720
    inside = price_counter(_case(10_630), BAND)  # 10630 + 500 = 11130
    assert inside.verdict is Verdict.ACCEPT and inside.counter_total_minor == 11_130
    between = price_counter(_case(10_700), BAND)  # extra 1100 <= 1200 absorbable, total 11200
    assert between.verdict is Verdict.DISPATCHER
    outside = price_counter(_case(12_300), BAND)  # 12800 > 12720
    assert outside.verdict is Verdict.DECLINE
    assert "20 min later for 22.00 EUR less" in outside.reason
    late = price_counter(_case(9_600, sla_met=False), BAND)
    assert late.verdict is Verdict.DECLINE and "service deadline" in late.reason
    late_alone = price_counter(_case(9_600, sla_met=False, alt_sla=False), BAND)
    assert late_alone.verdict is Verdict.DISPATCHER


def test_counter_above_what_the_platform_absorbs_goes_to_a_dispatcher() -> None:
    band = Band(minor_per_point=50, accept_within_bps=5_000, decline_above_bps=9_000, max_fee_share_bps=1_000)
    price = price_counter(_case(10_000), band)  # extra 400 > 240 absorbable
    assert price.verdict is Verdict.DISPATCHER and price.absorbable_minor == 240
