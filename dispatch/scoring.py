"""One weighted cost per (visit, technician) pair, kept term by term so it can be explained.

Lower is better. Every term is a non-negative *cost* in its own natural unit; its
contribution is `weight x value`, rounded to integer cost units (`cost_scale` per point)
*per term*, and the pair cost is the sum of those integers. Rounding per term makes the
vectorised scorer (`score_feasible`, used by the matcher) and the scalar one
(`pair_terms`, used by the independent validator) agree exactly.

Terms (name: value unit):
* ``travel``: minutes of travel to the visit.
* ``rating``: stars short of 5 of the Bayesian average rating
  ``(prior_mean * prior_weight + sum) / (prior_weight + count)``, so a newcomer with one
  5-star review does not outrank a veteran averaging 4.8 over 200.
* ``skill_surplus``: levels above what the job needs, summed over required skills
  (do not send the only level-3 expert to a level-1 job if someone else can go).
* ``sla_slack``: minutes by which the slack left before the SLA deadline (deadline minus
  finish time) falls short of `sla_target_slack_s`; 0 without an SLA.
* ``tier``: customer tier level (0 standard .. 2 premium) x the rating shortfall, so
  premium customers pull harder towards the best-rated technicians.
* ``fairness``: percentage points of the region's recent work the technician already had.

A visit nobody takes costs `unassigned_penalty` (batch assignment), which scales with
priority and tier: it is the price at which the matcher prefers leaving a visit open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dispatch.candidates import Evaluation
from dispatch.geo import FloatArray, IntArray
from dispatch.pool import TechnicianPool
from dispatch.problem import Technician, Visit
from dispatch.visit_columns import NO_SLA, VisitColumns

TERMS: tuple[str, ...] = ("travel", "rating", "skill_surplus", "sla_slack", "tier", "fairness")


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    travel_per_min: float = 1.0
    rating_per_star: float = 20.0
    skill_surplus_per_level: float = 3.0
    sla_per_min: float = 0.5
    tier_per_star: float = 10.0
    fairness_per_pct: float = 0.5
    rating_prior_mean: float = 4.5
    rating_prior_weight: float = 5.0
    sla_target_slack_s: int = 3600
    unassigned_base: float = 1000.0
    priority_factors: tuple[float, float, float, float] = (8.0, 3.0, 1.0, 0.5)  # P1..P4
    tier_factor_per_level: float = 0.5
    cost_scale: int = 100  # integer cost units per point

    @property
    def term_weights(self) -> tuple[tuple[str, float], ...]:
        """(term, weight) in `TERMS` order."""
        return (
            ("travel", self.travel_per_min),
            ("rating", self.rating_per_star),
            ("skill_surplus", self.skill_surplus_per_level),
            ("sla_slack", self.sla_per_min),
            ("tier", self.tier_per_star),
            ("fairness", self.fairness_per_pct),
        )

    def weight(self, term: str) -> float:
        return dict(self.term_weights)[term]

    def unassigned_penalty(self, visit: Visit) -> int:
        """Integer cost of leaving `visit` unassigned."""
        factor = self.priority_factors[int(visit.priority) - 1] * (
            1.0 + self.tier_factor_per_level * int(visit.tier)
        )
        return round(self.unassigned_base * factor * self.cost_scale)


DEFAULT_WEIGHTS = ScoreWeights()


@dataclass(frozen=True, slots=True, eq=False)
class ScoreTable:
    """Term values and integer contributions for the rows of an `Evaluation`."""

    values: dict[str, FloatArray]
    contributions: dict[str, IntArray]
    cost: IntArray


def _contribution(weight: float, value: FloatArray, scale: int) -> IntArray:
    return np.rint(weight * value * scale).astype(np.int64)


def score_feasible(
    pool: TechnicianPool, cols: VisitColumns, feasible: Evaluation, weights: ScoreWeights = DEFAULT_WEIGHTS
) -> ScoreTable:
    """Vectorised scoring of feasible (visit, technician) pairs."""
    rows, vis = feasible.rows, feasible.vis
    n = len(rows)
    bayes = (weights.rating_prior_mean * weights.rating_prior_weight + pool.rating_sum[rows]) / (
        weights.rating_prior_weight + pool.rating_count[rows]
    )
    shortfall = np.maximum(5.0 - bayes, 0.0)
    surplus = np.zeros(n, dtype=np.float64)
    for j in range(cols.req_col.shape[1]):
        col = cols.req_col[vis, j]
        known = col >= 0  # feasible pairs never have an unknown required code
        level = np.where(known, pool.skill_levels[rows, np.maximum(col, 0)], 0)
        surplus += np.where(known, np.maximum(level - cols.req_level[vis, j], 0), 0)
    due = cols.sla_due[vis]
    slack = due - (feasible.arrival + cols.duration[vis])
    sla = np.where(due != NO_SLA, np.maximum(weights.sla_target_slack_s - slack, 0), 0) / 60.0
    values: dict[str, FloatArray] = {
        "travel": feasible.travel_s / 60.0,
        "rating": shortfall,
        "skill_surplus": surplus,
        "sla_slack": sla.astype(np.float64),
        "tier": cols.tier[vis].astype(np.float64) * shortfall,
        "fairness": pool.recent_work_share[rows] * 100.0,
    }
    contributions = {t: _contribution(w, values[t], weights.cost_scale) for t, w in weights.term_weights}
    cost = np.zeros(n, dtype=np.int64)
    for t in TERMS:
        cost += contributions[t]
    return ScoreTable(values=values, contributions=contributions, cost=cost)


def bayesian_rating(tech: Technician, weights: ScoreWeights = DEFAULT_WEIGHTS) -> float:
    return (weights.rating_prior_mean * weights.rating_prior_weight + tech.rating_sum) / (
        weights.rating_prior_weight + tech.rating_count
    )


def pair_terms(
    tech: Technician, visit: Visit, arrival: int, travel_s: int, weights: ScoreWeights = DEFAULT_WEIGHTS
) -> dict[str, float]:
    """Scalar term values for one pair, written independently of `score_feasible`."""
    shortfall = max(5.0 - bayesian_rating(tech, weights), 0.0)
    surplus = sum(max(tech.skill_level(r.code) - r.min_level, 0) for r in visit.skills)
    sla = 0.0
    if visit.sla_due_at is not None:
        slack = visit.sla_due_at - (arrival + visit.duration_s)
        sla = max(weights.sla_target_slack_s - slack, 0) / 60.0
    return {
        "travel": travel_s / 60.0,
        "rating": shortfall,
        "skill_surplus": float(surplus),
        "sla_slack": sla,
        "tier": float(int(visit.tier)) * shortfall,
        "fairness": tech.recent_work_share * 100.0,
    }


def pair_cost(
    tech: Technician, visit: Visit, arrival: int, travel_s: int, weights: ScoreWeights = DEFAULT_WEIGHTS
) -> int:
    terms = pair_terms(tech, visit, arrival, travel_s, weights)
    return sum(int(np.rint(weights.weight(t) * terms[t] * weights.cost_scale)) for t in TERMS)


# --------------------------------------------------------------------------- explanations


@dataclass(frozen=True, slots=True)
class TermValue:
    name: str
    value: float  # in the term's unit (see module docstring)
    weight: float
    contribution: int  # integer cost units


@dataclass(frozen=True, slots=True)
class RankedCandidate:
    """A feasible technician for a visit, with everything needed to explain the choice."""

    technician_id: str
    rank: int  # 1 = best
    cost: int
    arrival: int
    travel_s: int
    travel_m: int
    terms: tuple[TermValue, ...]
    rating_average: float | None  # raw average of reviews; None without reviews
    rating_count: int
    sla_slack_s: int | None  # SLA deadline minus finish time; None without SLA

    def term(self, name: str) -> TermValue:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(name)


def _minutes(seconds: float) -> str:
    minutes = max(round(seconds / 60), 1)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres < 10_000 else f"{round(metres / 1000)} km"


def explain_candidate(candidate: RankedCandidate) -> tuple[str, ...]:
    """Plain-words reasons a technician was chosen ("why you"), strongest first."""
    phrases: list[tuple[int, str]] = []
    phrases.append((-1, f"{_minutes(candidate.travel_s)} away" if candidate.travel_s else "already on site"))
    if candidate.rating_average is not None:
        noun = "review" if candidate.rating_count == 1 else "reviews"
        phrases.append((0, f"rated {candidate.rating_average:.1f} from {candidate.rating_count} {noun}"))
    else:
        phrases.append((0, "new on Fieldhand, no reviews yet"))
    surplus = candidate.term("skill_surplus").value
    if surplus == 0:
        phrases.append((1, "skill level matches the job exactly"))
    if candidate.sla_slack_s is not None:
        if candidate.sla_slack_s >= 0:
            phrases.append((2, f"finishes {_minutes(candidate.sla_slack_s)} before the service deadline"))
        else:
            phrases.append((2, f"finishes {_minutes(-candidate.sla_slack_s)} after the service deadline"))
    share = candidate.term("fairness").value
    if share < 5.0:
        phrases.append((3, "has had little work recently"))
    return tuple(text for _, text in sorted(phrases, key=lambda p: p[0]))


_TERM_WORDS = {
    "rating": "another technician had a higher rating",
    "skill_surplus": "another technician's skill level matched the job more closely",
    "sla_slack": "another technician could finish further ahead of the service deadline",
    "tier": "this customer's plan favours the highest-rated technicians",
    "fairness": "another technician has had less work recently",
}


def explain_exclusion(reason: str) -> str:
    """Plain words for a machine reason from `dispatch.candidates` (or the batch matcher)."""
    kind, _, arg = reason.partition(":")
    if kind == "missing_skill":
        code, _, level = arg.partition(">=")
        return f"the job needs {code} at level {level}"
    if kind == "missing_certification":
        return f"the job needs certification {arg}"
    if kind == "certification_expired":
        return f"certification {arg} expired"
    if kind == "outside_radius":
        return f"the job was {arg.replace('km', ' km')} outside your service area"
    if kind == "off_shift":
        return "you were not on shift at that time"
    if kind == "cannot_arrive_in_window":
        return "you could not arrive within the customer's time window"
    if kind == "pinned_to_other":
        return "the job was already with another technician"
    if kind == "capacity_full":
        return "you already had as many jobs as you can take"
    return reason


def why_not(winner: RankedCandidate, loser: RankedCandidate | str) -> str:
    """The main reason `loser` did not get the job, without naming the winner.

    `loser` is either their ranked entry or their exclusion reason string.
    """
    if isinstance(loser, str):
        return explain_exclusion(loser)
    diffs = {t.name: t.contribution - winner.term(t.name).contribution for t in loser.terms}
    name, gap = max(diffs.items(), key=lambda kv: (kv[1], -TERMS.index(kv[0])))
    if loser.cost <= winner.cost:
        if loser.cost == winner.cost:
            return "another technician was just as suitable and was asked first"
        return "the overall schedule worked out better with another technician on this job"
    if gap <= 0:
        return "another technician was a slightly better fit overall"
    if name == "travel":
        closer_m = loser.travel_m - winner.travel_m
        if closer_m >= 500:
            return f"another technician was {_km(closer_m)} closer"
        return f"another technician could arrive {_minutes(loser.travel_s - winner.travel_s)} sooner"
    return _TERM_WORDS[name]
