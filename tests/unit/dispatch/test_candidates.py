from __future__ import annotations

from dispatch.candidates import callback_option, find_candidates
from dispatch.geo import DEFAULT_TRAVEL_MODEL
from dispatch.matching import Outcome, rank_candidates
from dispatch.pool import build_pool
from dispatch.problem import Certification, SkillRequirement
from tests.unit.dispatch.match_helpers import T0, H, tech, visit

NOW = T0 + H // 2


def _reasons(techs, v, now=NOW):  # type: ignore[no-untyped-def]
    return find_candidates(build_pool(techs), v, now).exclusions()


def test_every_exclusion_reason() -> None:
    gas = Certification("gas_safe", expires_at=T0 + 30 * 24 * H)
    techs = [
        tech("ok", skills=(("gas.boiler", 2),), certs=(gas,)),
        tech("low", skills=(("gas.boiler", 1),), certs=(gas,)),
        tech("nocert", skills=(("gas.boiler", 2),)),
        tech("expired", skills=(("gas.boiler", 3),), certs=(Certification("gas_safe", expires_at=T0),)),
        tech("far", east_km=12.0, skills=(("gas.boiler", 2),), certs=(gas,), radius_m=10_000),
        tech("asleep", skills=(("gas.boiler", 2),), certs=(gas,), shifts=((T0 + 20 * H, T0 + 28 * H),)),
        tech("short", skills=(("gas.boiler", 2),), certs=(gas,), shifts=((T0, T0 + H + 20 * 60),)),
    ]
    v = visit(
        "v",
        skills=(SkillRequirement("gas.boiler", 2),),
        certifications=("gas_safe",),
        window=(T0 + H, T0 + 2 * H),
        duration_s=30 * 60,
    )
    reasons = _reasons(techs, v)
    assert "ok" not in reasons
    assert reasons["low"] == "missing_skill:gas.boiler>=2"
    assert reasons["nocert"] == "missing_certification:gas_safe"
    assert reasons["expired"] == "certification_expired:gas_safe"
    assert reasons["far"] in ("outside_radius:2.0km", "outside_radius:2.1km")
    assert reasons["asleep"] == "off_shift"
    assert reasons["short"] == "cannot_arrive_in_window"  # a 30 min job cannot end by 01:20
    assert len(reasons) == len(techs) - 1


def test_cannot_arrive_in_window() -> None:
    techs = [tech("near"), tech("far", east_km=20.0)]
    v = visit("v", window=(NOW, NOW + 20 * 60), duration_s=600)
    reasons = _reasons(techs, v)
    assert "near" not in reasons
    assert reasons["far"] == "cannot_arrive_in_window"


def test_job_must_fit_in_shift() -> None:
    techs = [tech("short", shifts=((T0, T0 + H + 30 * 60),))]
    v = visit("v", window=(T0 + H, T0 + 2 * H), duration_s=H)
    assert _reasons(techs, v)["short"] == "cannot_arrive_in_window"


def test_certificate_expiring_before_arrival() -> None:
    soon = Certification("gas_safe", expires_at=T0 + 2 * H)
    techs = [tech("t", skills=(("gas.boiler", 1),), certs=(soon,))]
    v = visit(
        "v",
        skills=(SkillRequirement("gas.boiler", 1),),
        certifications=("gas_safe",),
        window=(T0 + 3 * H, T0 + 5 * H),
    )
    assert _reasons(techs, v)["t"] == "certification_expired:gas_safe"


def test_pinned_visit_only_goes_to_its_technician() -> None:
    techs = [tech("a"), tech("b")]
    v = visit("v", pinned_to="b")
    reasons = _reasons(techs, v)
    assert reasons == {"a": "pinned_to_other:b"}


def test_live_position_is_used_during_the_current_shift() -> None:
    from tests.unit.dispatch.match_helpers import at

    away = tech("t", east_km=0.0, location=at(0.0, 15.0))
    v = visit("v", window=(NOW, NOW + 4 * H))
    cands = find_candidates(build_pool([away]), v, NOW).feasible
    assert cands.travel_s[0] > 15 * 60  # from 15 km away, not from home next door


def test_later_shift_starts_from_home() -> None:
    from tests.unit.dispatch.match_helpers import at

    away = tech("t", location=at(0.0, 15.0), shifts=((T0 + 2 * H, T0 + 10 * H),))
    v = visit("v", window=(T0 + 2 * H, T0 + 4 * H))
    cands = find_candidates(build_pool([away]), v, NOW).feasible
    assert int(cands.travel_s[0]) == 0
    assert int(cands.arrival[0]) == T0 + 2 * H


def test_far_technicians_are_not_evaluated_but_still_explained() -> None:
    techs = [tech(f"near{i}", north_km=i * 0.1) for i in range(5)]
    techs += [tech(f"far{i}", north_km=200 + i, radius_m=20_000) for i in range(50)]
    techs += [tech(f"other{i}", skills=(("roofing", 3),)) for i in range(50)]
    cs = find_candidates(build_pool(techs), visit("v"), NOW)
    assert len(cs.evaluated.rows) == 5  # the (cell, skill) bucket: neither far nor roofers
    assert cs.reason_for("far3") is not None and cs.reason_for("far3").startswith("outside_radius:")  # type: ignore[union-attr]
    assert cs.reason_for("other7") == "missing_skill:hvac.repair>=1"
    assert len(cs.exclusions()) == 100


def test_needs_callback_when_only_unqualified_technicians_are_near() -> None:
    techs = [tech(f"near{i}", north_km=i * 0.2, skills=(("plumbing.repair", 3),)) for i in range(5)]
    techs.append(tech("tomorrow", east_km=6.0, shifts=((T0 + 24 * H, T0 + 32 * H),)))
    v = visit("v", window=(T0 + H, T0 + 3 * H))
    ranking = rank_candidates(v, techs, NOW)
    assert ranking.status is Outcome.NEEDS_CALLBACK
    assert ranking.candidates == ()
    option = ranking.earliest_option
    assert option is not None and option.technician_id == "tomorrow"
    travel = DEFAULT_TRAVEL_MODEL.matrices(build_pool(techs).home[-1:], build_pool(techs).home[:1]).seconds
    assert option.arrival == T0 + 24 * H + option.travel_s
    assert abs(option.travel_s - int(travel[0, 0])) <= 60


def test_no_qualified_technician() -> None:
    techs = [tech("p", skills=(("plumbing.repair", 3),))]
    v = visit("v")
    ranking = rank_candidates(v, techs, NOW)
    assert ranking.status is Outcome.NO_QUALIFIED_TECHNICIAN
    assert ranking.earliest_option is None
    assert callback_option(build_pool(techs), v, NOW) == (0, None)
