"""The fairness knob, tried on the past: what each weight would have cost in travel, and how
it would have spread the work, over the rankings the ledger recorded.

Every ranking the ledger holds (the candidates of one work order scored at one instant, each
with its score terms) is decided again at each weight: the fairness term's contribution is
taken out of the recorded cost and put back at the new weight, and the cheapest candidate is
the pick. Reported per weight: how many rankings were replayed, the travel of the picks, how
many picks differ from the weight-0 pick, and the Gini coefficient of picks among everyone
ranked. It replays *rankings*: the day planner's routes and the technicians' answers
(declines, expiries) are what they were.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.scoring import DEFAULT_WEIGHTS
from marketplace.fairness import repository
from marketplace.fairness.metrics import gini

KNOB_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)


@dataclass(frozen=True, slots=True)
class RankedFact:
    """One candidate of one recorded ranking."""

    ranking: tuple[uuid.UUID, datetime]  # (work order, when it was ranked)
    technician_id: uuid.UUID
    cost: int
    fairness_value: float  # percentage points of recent work the technician had
    fairness_contribution: int  # cost units the term added at the weight then in force
    travel_m: int


@dataclass(frozen=True, slots=True)
class WeightReplay:
    weight: float
    rankings: int
    travel_km: float
    changed_picks: int  # picks that differ from the weight-0 pick
    gini_picks: float


def replay(facts: Iterable[RankedFact], weights: Sequence[float], *, cost_scale: int) -> list[WeightReplay]:
    rankings: dict[tuple[uuid.UUID, datetime], dict[uuid.UUID, RankedFact]] = defaultdict(dict)
    for fact in facts:
        rankings[fact.ranking].setdefault(fact.technician_id, fact)  # a technician once per ranking
    population = sorted({t for candidates in rankings.values() for t in candidates})
    ordered = sorted(rankings)

    def picks(weight: float) -> list[RankedFact]:
        out = []
        for key in ordered:
            candidates = rankings[key].values()
            out.append(
                min(
                    candidates,
                    key=lambda f: (
                        f.cost - f.fairness_contribution + round(weight * f.fairness_value * cost_scale),
                        str(f.technician_id),
                    ),
                )
            )
        return out

    baseline = picks(0.0)
    result = []
    for weight in weights:
        chosen = picks(weight)
        wins: dict[uuid.UUID, int] = defaultdict(int)
        for pick in chosen:
            wins[pick.technician_id] += 1
        result.append(
            WeightReplay(
                weight=weight,
                rankings=len(chosen),
                travel_km=round(sum(p.travel_m for p in chosen) / 1000, 1),
                changed_picks=sum(
                    1 for a, b in zip(chosen, baseline, strict=True) if a.technician_id != b.technician_id
                ),
                gini_picks=round(gini([float(wins[t]) for t in population]), 4),
            )
        )
    return result


def _fairness_term(terms: list[dict[str, object]]) -> tuple[float, int]:
    for term in terms:
        if term.get("name") == "fairness":
            value, contribution = term.get("value", 0.0), term.get("contribution", 0)
            return float(value) if isinstance(value, int | float) else 0.0, (
                int(contribution) if isinstance(contribution, int | float) else 0
            )
    return 0.0, 0


async def replay_region(
    session: AsyncSession,
    region: str,
    *,
    start: datetime,
    end: datetime,
    weights: Sequence[float] = KNOB_WEIGHTS,
) -> list[WeightReplay]:
    """`replay` over the region's recorded rankings in [start, end)."""
    rows = await repository.region_rankings(session, region, start=start, end=end)
    facts = []
    for row in rows:
        value, contribution = _fairness_term(row.terms)
        facts.append(
            RankedFact(
                ranking=(row.work_order_id, row.at),
                technician_id=row.technician_id,
                cost=int(row.cost or 0),
                fairness_value=value,
                fairness_contribution=contribution,
                travel_m=int(row.travel_m or 0),
            )
        )
    return replay(facts, weights, cost_scale=DEFAULT_WEIGHTS.cost_scale)
