"""The fairness knob replayed on constructed rankings, against values worked out by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from marketplace.fairness.replay import RankedFact, replay

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))
WHEN = datetime(2026, 3, 2, 9, tzinfo=UTC)


def fact(order: int, tech: uuid.UUID, travel_points: int, share_pct: float, travel_m: int) -> RankedFact:
    """A candidate whose recorded cost is its travel points plus the fairness term at 0.5."""
    contribution = round(0.5 * share_pct * 100)
    return RankedFact(
        ranking=(uuid.UUID(int=100 + order), WHEN),
        technician_id=tech,
        cost=travel_points * 100 + contribution,
        fairness_value=share_pct,
        fairness_contribution=contribution,
        travel_m=travel_m,
    )


# A is nearest every time but has had 20 % of the recent work; B 5 %, C 0 %.
FACTS = [
    fact(1, A, 10, 20.0, 5_000), fact(1, B, 14, 5.0, 7_000), fact(1, C, 30, 0.0, 15_000),
    fact(2, A, 10, 20.0, 5_000), fact(2, B, 25, 5.0, 12_500), fact(2, C, 21, 0.0, 10_500),
    fact(3, A, 10, 20.0, 5_000), fact(3, A, 99, 20.0, 1),  # the same technician twice: the first counts
]  # fmt: skip


def test_each_weight_repicks_every_ranking_and_reports_travel_changes_and_spread() -> None:
    zero, half, one = replay(FACTS, [0.0, 0.5, 1.0], cost_scale=100)
    # weight 0: A wins all three (10 points each): 15 km, Gini of picks (3, 0, 0) = 2/3
    assert (zero.rankings, zero.travel_km, zero.changed_picks, zero.gini_picks) == (3, 15.0, 0, 0.6667)
    # weight 0.5: order 1: A 10+10=20, B 14+2.5=16.5 -> B; order 2: A 20, B 27.5, C 21 -> A;
    # picks (2, 1, 0): mean absolute difference 8/9 over twice the mean 1 = 4/9
    assert (half.travel_km, half.changed_picks, half.gini_picks) == (17.0, 1, 0.4444)
    # weight 1: order 1: A 30, B 19 -> B; order 2: A 30, B 30, C 21 -> C; order 3 only A
    assert (one.travel_km, one.changed_picks, one.gini_picks) == (22.5, 2, 0.0)


def test_no_rankings_replay_to_nothing() -> None:
    assert replay([], [0.0, 1.0], cost_scale=100)[1].rankings == 0
