"""Seeded synthetic city: technicians and work orders around a metro centre.

Shapes chosen to look like a real field-service metro rather than uniform noise:
homes and jobs cluster towards the centre (Gaussian, clipped to the metro radius),
most technicians hold one or two trades at mixed levels, trades that legally need a
certificate (gas, electrical installation, heights, refrigerants) carry one that a few
technicians let lapse, shifts are staggered, and a share of technicians report a live
position away from home. Same seed, same city.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dispatch.problem import (
    Certification,
    CustomerTier,
    GeoPoint,
    Priority,
    SkillRequirement,
    Technician,
    TimeWindow,
    Visit,
)

HOUR = 3600
DAY = 24 * HOUR
DAY_START = 1_800_057_600  # a UTC midnight; the timeline is arbitrary but fixed
NOW = DAY_START + 8 * HOUR

SKILLS: tuple[str, ...] = (
    "hvac.repair",
    "hvac.install",
    "plumbing.repair",
    "plumbing.install",
    "electrical.repair",
    "electrical.install",
    "appliance.repair",
    "locksmith",
    "roofing",
    "gas.boiler",
    "carpentry",
    "glazing",
)
CERT_FOR_SKILL: dict[str, str] = {
    "gas.boiler": "gas_safe",
    "electrical.install": "electrical_cert",
    "roofing": "working_at_height",
    "hvac.install": "f_gas",
}
SHIFT_HOURS: tuple[tuple[int, int], ...] = ((6, 14), (7, 15), (8, 16), (9, 17), (12, 20))


LONDON = GeoPoint(51.5072, -0.1276)


@dataclass(frozen=True, slots=True)
class City:
    centre: GeoPoint = LONDON
    radius_km: float = 25.0


def _point(rng: np.random.Generator, city: City, spread: float = 0.45) -> GeoPoint:
    r = min(abs(rng.normal(0.0, spread)), 1.0) * city.radius_km * 1000.0
    theta = rng.uniform(0.0, 2.0 * math.pi)
    dlat = r * math.cos(theta) / 111_320.0
    dlng = r * math.sin(theta) / (111_320.0 * math.cos(math.radians(city.centre.lat)))
    return GeoPoint(round(city.centre.lat + dlat, 6), round(city.centre.lng + dlng, 6))


def _level(rng: np.random.Generator) -> int:
    return int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))


def technicians(n: int, seed: int, city: City = City(), now: int = NOW) -> list[Technician]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        home = _point(rng, city)
        n_skills = int(rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15]))
        codes = rng.choice(len(SKILLS), size=n_skills, replace=False)
        skills = tuple((SKILLS[int(c)], _level(rng)) for c in sorted(codes))
        certs = []
        for code, _ in skills:
            cert = CERT_FOR_SKILL.get(code)
            if cert is not None and rng.random() < 0.9:
                lapse = rng.random()
                expires = now - DAY if lapse < 0.08 else (now + 3 * HOUR if lapse < 0.12 else now + 365 * DAY)
                certs.append(Certification(cert, expires))
        shifts = []
        for day in (0, 1):
            if rng.random() < 0.85:
                start_h, end_h = SHIFT_HOURS[int(rng.integers(len(SHIFT_HOURS)))]
                day0 = DAY_START + day * DAY
                shifts.append(TimeWindow(day0 + start_h * HOUR, day0 + end_h * HOUR))
        location = _point(rng, City(home, 8.0)) if rng.random() < 0.6 else None
        count = int(rng.integers(0, 200))
        out.append(
            Technician(
                id=f"T{i:05d}",
                home=home,
                skills=skills,
                certifications=tuple(certs),
                shifts=tuple(shifts),
                service_radius_m=int(rng.integers(8, 31)) * 1000,
                location=location,
                rating_sum=round(count * float(rng.uniform(3.5, 5.0)), 1),
                rating_count=count,
                recent_work_share=round(float(rng.exponential(0.002)), 5),
                max_visits_per_day=int(rng.integers(6, 11)),
            )
        )
    return out


def visits(n: int, seed: int, city: City = City(), now: int = NOW) -> list[Visit]:
    rng = np.random.default_rng(seed + 1_000_003)
    out = []
    for i in range(n):
        priority = Priority(int(rng.choice([1, 2, 3, 4], p=[0.05, 0.2, 0.6, 0.15])))
        if priority is Priority.EMERGENCY:
            window = TimeWindow(now, now + 2 * HOUR)
        else:
            start = now + int(rng.integers(0, 33)) * 15 * 60
            window = TimeWindow(start, start + int(rng.choice([2, 4])) * HOUR)
        n_req = 1 if rng.random() < 0.8 else 2
        codes = rng.choice(len(SKILLS), size=n_req, replace=False)
        reqs = tuple(SkillRequirement(SKILLS[int(c)], _level(rng)) for c in sorted(codes))
        certs = tuple(CERT_FOR_SKILL[r.code] for r in reqs if r.code in CERT_FOR_SKILL)
        sla = window.end + HOUR if priority <= Priority.HIGH else None
        out.append(
            Visit(
                id=f"V{i:05d}",
                location=_point(rng, city, spread=0.4),
                duration_s=int(rng.integers(2, 9)) * 15 * 60,
                window=window,
                skills=reqs,
                certifications=certs,
                priority=priority,
                tier=CustomerTier(int(rng.choice([0, 1, 2], p=[0.7, 0.2, 0.1]))),
                sla_due_at=sla,
            )
        )
    return out
