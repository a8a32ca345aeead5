"""Fairness metrics of a region over a period (pure: per-technician facts in, metrics out).

Among the qualified technicians who were available in the period:
- share of offers, wins and earnings each technician had;
- the Gini coefficient of offers, wins and earnings (0 = equal, (n-1)/n = one had everything);
- exposure: offers per available hour;
- acceptance rate: accepted / answered-or-lapsed offers (won + declined + expired).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TechnicianPeriod:
    technician_id: str
    available_s: int  # shift time in the period
    offered: int
    won: int
    declined: int
    expired: int
    earnings_minor: int


@dataclass(frozen=True, slots=True)
class TechnicianFairness:
    technician_id: str
    offered: int
    won: int
    earnings_minor: int
    offer_share: float
    win_share: float
    earnings_share: float
    exposure_per_hour: float | None  # None without available time
    acceptance_rate: float | None  # None without answered offers


@dataclass(frozen=True, slots=True)
class Fairness:
    technicians: tuple[TechnicianFairness, ...]
    offered: int
    won: int
    earnings_minor: int
    gini_offers: float
    gini_wins: float
    gini_earnings: float
    exposure_per_hour: float | None
    acceptance_rate: float | None


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: mean absolute difference over twice the mean."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(ordered))
    return weighted / (n * total)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def fairness(technicians: Sequence[TechnicianPeriod]) -> Fairness:
    offered = sum(t.offered for t in technicians)
    won = sum(t.won for t in technicians)
    earned = sum(t.earnings_minor for t in technicians)
    rows = tuple(
        TechnicianFairness(
            technician_id=t.technician_id,
            offered=t.offered,
            won=t.won,
            earnings_minor=t.earnings_minor,
            offer_share=_share(t.offered, offered),
            win_share=_share(t.won, won),
            earnings_share=_share(t.earnings_minor, earned),
            exposure_per_hour=t.offered / (t.available_s / 3600) if t.available_s > 0 else None,
            acceptance_rate=_share(t.won, t.won + t.declined + t.expired)
            if t.won + t.declined + t.expired
            else None,
        )
        for t in sorted(technicians, key=lambda t: t.technician_id)
    )
    available_s = sum(t.available_s for t in technicians)
    answered = sum(t.won + t.declined + t.expired for t in technicians)
    return Fairness(
        technicians=rows,
        offered=offered,
        won=won,
        earnings_minor=earned,
        gini_offers=gini([t.offered for t in technicians]),
        gini_wins=gini([t.won for t in technicians]),
        gini_earnings=gini([t.earnings_minor for t in technicians]),
        exposure_per_hour=offered / (available_s / 3600) if available_s > 0 else None,
        acceptance_rate=_share(won, answered) if answered else None,
    )
