"""Problem and plan types shared by every solver in `dispatch/`.

Everything here is a frozen dataclass of plain values: times are integer seconds on a
timeline the caller chooses (Fieldhand passes Unix seconds in UTC), distances are integer
metres, money is integer minor units. Nothing here reads a clock, a database or a file.

Fields may be added (with defaults) but never renamed: `marketplace/` builds these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Half-open interval [start, end) in integer seconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"inverted time window {self.start}..{self.end}")

    @property
    def duration(self) -> int:
        return self.end - self.start

    def contains(self, moment: int) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    """A visit needs `code` at `min_level` or better (levels 1..3)."""

    code: str
    min_level: int = 1

    def __str__(self) -> str:
        return f"{self.code}>={self.min_level}"


@dataclass(frozen=True, slots=True)
class Certification:
    code: str
    expires_at: int | None = None  # None: never expires

    def valid_at(self, moment: int) -> bool:
        return self.expires_at is None or moment < self.expires_at


class Priority(IntEnum):
    """P1 emergency .. P4 low, as in the work-order domain."""

    EMERGENCY = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4


class CustomerTier(IntEnum):
    STANDARD = 0
    PRIORITY = 1
    PREMIUM = 2


@dataclass(frozen=True, slots=True)
class Technician:
    id: str
    home: GeoPoint
    skills: tuple[tuple[str, int], ...] = ()  # (skill code, level 1..3)
    certifications: tuple[Certification, ...] = ()
    shifts: tuple[TimeWindow, ...] = ()  # sorted, non-overlapping availability windows
    service_radius_m: int = 25_000
    location: GeoPoint | None = None  # last known position; home when None
    rating_sum: float = 0.0  # sum of review stars
    rating_count: int = 0
    recent_work_share: float = 0.0  # share of the region's recent work, 0..1 (fairness)
    max_visits_per_day: int | None = None
    capacity: int | None = None  # vehicle capacity in Visit.demand units; None: unlimited

    def skill_level(self, code: str) -> int:
        for skill_code, level in self.skills:
            if skill_code == code:
                return level
        return 0

    @property
    def position(self) -> GeoPoint:
        return self.location if self.location is not None else self.home


@dataclass(frozen=True, slots=True)
class Visit:
    """One work order to be done at a place, inside an arrival window."""

    id: str
    location: GeoPoint
    duration_s: int
    window: TimeWindow  # arrival (service start) must fall inside
    skills: tuple[SkillRequirement, ...] = ()
    certifications: tuple[str, ...] = ()  # certification codes that must be valid at the visit
    priority: Priority = Priority.NORMAL
    tier: CustomerTier = CustomerTier.STANDARD
    sla_due_at: int | None = None
    pinned_to: str | None = None  # technician id: accepted/started visits stay with them
    demand: int = 0  # capacity units (Solomon benchmarks); 0 for ordinary visits


@dataclass(frozen=True, slots=True)
class Stop:
    visit_id: str
    arrival: int  # service start
    departure: int
    travel_s: int  # travel time from the previous stop (or route start)
    travel_m: int


@dataclass(frozen=True, slots=True)
class Route:
    technician_id: str
    stops: tuple[Stop, ...] = ()
    start: int = 0
    end: int = 0
    travel_m: int = 0
    travel_s: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    routes: tuple[Route, ...] = ()
    unassigned: tuple[str, ...] = ()  # visit ids left out
    objective: int = 0
    solver: str = ""
    stats: tuple[tuple[str, float], ...] = field(default=())
