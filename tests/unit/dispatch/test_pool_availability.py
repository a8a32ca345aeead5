"""`with_availability` gives the pool `build_pool` would build with those shifts and positions."""

from __future__ import annotations

import random
from dataclasses import fields, replace

import numpy as np
import pytest

from dispatch.candidates import callback_option, prefilter
from dispatch.matching import rank_candidates
from dispatch.pool import build_pool, with_availability
from dispatch.problem import Certification, GeoPoint, SkillRequirement, Technician, TimeWindow, Visit


def _technicians(n: int) -> list[Technician]:
    rng = random.Random(7)
    return [
        Technician(
            id=f"t{i:03d}",
            home=GeoPoint(52.3 + rng.uniform(-0.1, 0.1), 4.9 + rng.uniform(-0.1, 0.1)),
            skills=(("hvac", rng.randint(1, 3)),) + ((("plumbing", 2),) if i % 3 == 0 else ()),
            certifications=(Certification("gas_safe", 10_000),) if i % 4 == 0 else (),
            service_radius_m=rng.choice([8_000, 15_000]),
            rating_sum=float(i % 5),
            rating_count=i % 3,
        )
        for i in range(n)
    ]


def test_matches_a_full_rebuild() -> None:
    bare = _technicians(40)
    rng = random.Random(8)
    shifts = [
        [
            (h * 3600, (h + rng.randint(1, 4)) * 3600)
            for h in sorted(rng.sample(range(0, 40, 5), rng.randint(0, 3)))
        ]
        for _ in bare
    ]
    locations = [GeoPoint(52.31, 4.91) if i % 2 else None for i in range(len(bare))]
    full = [
        replace(t, shifts=tuple(TimeWindow(s, e) for s, e in own), location=where)
        for t, own, where in zip(bare, shifts, locations, strict=True)
    ]
    expected = build_pool(full)
    got = with_availability(build_pool(bare), full)
    assert got.technicians == expected.technicians
    for f in fields(expected):
        a, b = getattr(got, f.name), getattr(expected, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b), f.name
        elif f.name in ("home_reduced", "position_reduced"):
            assert all(np.array_equal(getattr(a, g.name), getattr(b, g.name)) for g in fields(a)), f.name
        elif f.name in ("cells", "coverage"):
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a), f.name
        else:
            assert a == b, f.name


def test_refuses_technicians_that_are_not_row_aligned() -> None:
    techs = _technicians(3)
    pool = build_pool(techs)
    with pytest.raises(ValueError, match="row-aligned"):
        with_availability(pool, techs[:2])
    with pytest.raises(ValueError, match="row-aligned"):
        with_availability(pool, [techs[1], techs[0], techs[2]])


def test_a_pool_where_nobody_holds_a_skill_yet() -> None:
    pool = build_pool([replace(t, skills=()) for t in _technicians(3)])
    assert pool.coverage == {}
    assert len(pool.rows_serving(52.3, 4.9, "hvac")) == 0


def test_free_time_on_a_visits_rows_answers_that_visit_as_the_whole_pool() -> None:
    bare = _technicians(60)
    rng = random.Random(9)
    full = [
        replace(
            t,
            shifts=(TimeWindow(h * 3600, (h + rng.randint(2, 8)) * 3600),),
            location=GeoPoint(52.3 + rng.uniform(-0.05, 0.05), 4.9) if i % 2 else None,
        )
        for i, t in enumerate(bare, start=rng.randint(0, 1))
        for h in [rng.randint(6, 12)]
    ]
    facts = build_pool(bare)  # nobody free anywhere
    whole = with_availability(facts, full)
    ranked = 0
    for k in range(30):
        visit = Visit(
            id=f"v{k}",
            location=GeoPoint(52.3 + rng.uniform(-0.12, 0.12), 4.9 + rng.uniform(-0.12, 0.12)),
            duration_s=3600,
            window=TimeWindow(8 * 3600, 14 * 3600),
            skills=(SkillRequirement(rng.choice(["hvac", "plumbing"]), rng.randint(1, 3)),),
        )
        rows = prefilter(facts, visit)
        assert len(rows) < len(full)  # the point: fewer rows than the region
        part = with_availability(facts, {int(r): full[int(r)] for r in rows})
        expected = rank_candidates(visit, whole, 0, limit=100)
        got = rank_candidates(visit, part, 0, limit=100)
        assert [(c.technician_id, c.arrival) for c in got.candidates] == [
            (c.technician_id, c.arrival) for c in expected.candidates
        ]
        assert callback_option(part, visit, 0) == callback_option(whole, visit, 0)
        ranked += len(expected.candidates)
    assert ranked > 30  # most visits had someone to rank


def test_a_mapping_outside_the_pool_or_misaligned_is_refused() -> None:
    techs = _technicians(3)
    pool = build_pool(techs)
    with pytest.raises(ValueError, match="row-aligned"):
        with_availability(pool, {3: techs[0]})
    with pytest.raises(ValueError, match="row-aligned"):
        with_availability(pool, {0: techs[1]})
