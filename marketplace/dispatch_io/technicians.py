"""A technician row as the solver's `Technician`: the one translation, used by offer rounds
(`offers/dispatch_adapter.py`) and by day plans (`assignment/loading.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from dispatch.problem import Certification, GeoPoint, TimeWindow
from dispatch.problem import Technician as DTechnician
from marketplace.technicians.models import Technician

# a position older than this says nothing about where the technician is now: plan from home
LOCATION_FRESH_FOR = timedelta(minutes=30)


def last_known_position(technician: Technician, now: datetime) -> GeoPoint | None:
    """Where the technician was last seen, if that was recent enough to plan from."""
    t = technician
    if t.last_lat is None or t.last_lng is None or t.last_located_at is None:
        return None
    if t.last_located_at < now - LOCATION_FRESH_FOR:
        return None
    return GeoPoint(t.last_lat, t.last_lng)


def solver_technician(
    technician: Technician,
    *,
    skills: Iterable[tuple[str, int]],
    certifications: Iterable[Certification],
    free: Iterable[tuple[int, int]],
    location: GeoPoint | None,
) -> DTechnician:
    """`free` are the technician's working windows (epoch seconds) with time off and other
    work already taken out; `location` where their day starts from now (None: home)."""
    t = technician
    return DTechnician(
        id=str(t.id),
        home=GeoPoint(t.home_lat, t.home_lng),
        skills=tuple(sorted(skills)),
        certifications=tuple(certifications),
        shifts=tuple(TimeWindow(s, e) for s, e in free),
        service_radius_m=t.service_radius_m,
        location=location,
        rating_sum=float(t.rating_sum),
        rating_count=t.rating_count,
    )
