from __future__ import annotations

import dataclasses

from dispatch.matching import rank_candidates
from dispatch.problem import CustomerTier, Priority, SkillRequirement
from dispatch.scoring import (
    DEFAULT_WEIGHTS,
    TERMS,
    ScoreWeights,
    bayesian_rating,
    explain_candidate,
    explain_exclusion,
    why_not,
)
from tests.unit.dispatch.match_helpers import T0, H, tech, visit

NOW = T0


def test_bayesian_rating_shrinks_small_samples() -> None:
    newcomer = tech("new", rating_sum=5.0, rating_count=1)
    veteran = tech("vet", rating_sum=4.8 * 200, rating_count=200)
    assert bayesian_rating(newcomer) < bayesian_rating(veteran)
    assert bayesian_rating(tech("none")) == DEFAULT_WEIGHTS.rating_prior_mean


def test_terms_and_contributions_add_up() -> None:
    techs = [tech("a", 0, 2.0, rating_sum=180.0, rating_count=40, recent_work_share=0.02)]
    v = visit("v", sla_due_at=T0 + 2 * H)
    (cand,) = rank_candidates(v, techs, NOW).candidates
    assert [t.name for t in cand.terms] == list(TERMS)
    assert sum(t.contribution for t in cand.terms) == cand.cost
    for t in cand.terms:
        assert t.contribution == round(t.weight * t.value * DEFAULT_WEIGHTS.cost_scale)


def test_explanation_in_plain_words() -> None:
    techs = [tech("a", 0, 6.0, rating_sum=4.8 * 40, rating_count=40)]
    (cand,) = rank_candidates(visit("v"), techs, NOW).candidates
    words = explain_candidate(cand)
    assert words[0] == f"{round(cand.travel_s / 60)} min away"
    assert "rated 4.8 from 40 reviews" in words


def test_why_not_closer_without_naming_the_winner() -> None:
    techs = [tech("near", 0, 1.0), tech("far", 0, 5.0)]
    ranking = rank_candidates(visit("v"), techs, NOW)
    assert ranking.candidates[0].technician_id == "near"
    text = ranking.why_not("far")
    assert text.startswith("another technician was ") and text.endswith(" closer")
    assert "near" not in text
    assert ranking.why_not("near") == "you were the first choice"


def test_why_not_for_excluded() -> None:
    assert explain_exclusion("certification_expired:gas_safe") == "certification gas_safe expired"
    assert explain_exclusion("outside_radius:2.1km") == "the job was 2.1 km outside your service area"
    assert explain_exclusion("missing_skill:hvac.repair>=2") == "the job needs hvac.repair at level 2"
    techs = [tech("a"), tech("b", skills=(("hvac.repair", 1),))]
    ranking = rank_candidates(visit("v", skills=(SkillRequirement("hvac.repair", 2),)), techs, NOW)
    assert ranking.why_not("b") == "the job needs hvac.repair at level 2"
    assert why_not(ranking.candidates[0], "off_shift") == "you were not on shift at that time"


def test_rating_can_beat_distance_and_weights_are_configurable() -> None:
    techs = [
        tech("close-poor", 0, 1.0, rating_sum=3.0 * 50, rating_count=50),
        tech("far-great", 0, 4.0, rating_sum=5.0 * 50, rating_count=50),
    ]
    v = visit("v", tier=CustomerTier.PREMIUM)
    assert rank_candidates(v, techs, NOW).candidates[0].technician_id == "far-great"
    travel_only = dataclasses.replace(
        ScoreWeights(), rating_per_star=0.0, tier_per_star=0.0, fairness_per_pct=0.0
    )
    assert rank_candidates(v, techs, NOW, weights=travel_only).candidates[0].technician_id == "close-poor"
    assert "higher rating" in rank_candidates(v, techs, NOW).why_not("close-poor")


def test_skill_surplus_keeps_experts_free() -> None:
    techs = [
        tech("expert", 0, 1.0, skills=(("hvac.repair", 3),)),
        tech("junior", 0, 1.5, skills=(("hvac.repair", 1),)),
    ]
    ranking = rank_candidates(visit("v"), techs, NOW)
    assert ranking.candidates[0].technician_id == "junior"
    assert ranking.why_not("expert") == "another technician's skill level matched the job more closely"


def test_penalty_scales_with_priority_and_tier() -> None:
    w = DEFAULT_WEIGHTS
    low = w.unassigned_penalty(visit("a", priority=Priority.LOW))
    normal = w.unassigned_penalty(visit("b"))
    emergency = w.unassigned_penalty(visit("c", priority=Priority.EMERGENCY))
    premium = w.unassigned_penalty(visit("d", tier=CustomerTier.PREMIUM))
    assert low < normal < premium < emergency
