"""Who could take this visit? Feasibility of one visit against a whole `TechnicianPool`.

A technician is a candidate when, in this order (the first failing check is the
exclusion reason, so every excluded technician gets exactly one):

1. pinned visits only accept their technician ............ ``pinned_to_other``
2. every required skill at the required level ............ ``missing_skill:hvac.repair>=2``
3. every required certification held ...................... ``missing_certification:gas_safe``
   and still valid when the visit could start ............. ``certification_expired:gas_safe``
4. the visit lies within the service radius of their home  ``outside_radius:2.1km``
   (straight-line; the figure is how far *beyond* the radius, rounded up to 0.1 km)
5. a shift overlaps the time the visit can still start ..... ``off_shift``
6. they can reach it, start inside the arrival window and
   finish the job before that shift ends ................. ``cannot_arrive_in_window``

Timing: during the shift in progress at `now` a technician leaves from their last known
position at `now`; for a later shift, from home at the shift start. Arrival is the
earliest moment that is both reachable and inside the visit window; certifications must
be valid at that arrival (`Certification.valid_at`).

Only rows the pool's (grid cell, skill) index returns are evaluated eagerly; everyone
else lacks a required skill or lives too far away by construction, and is classified
lazily (same checks, same order) when a reason is actually asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dispatch.geo import DEFAULT_TRAVEL_MODEL, IntArray, TravelModel, geodesic_matrix_m
from dispatch.pool import CERT_MISSING, CERT_NEVER_EXPIRES, NO_SHIFT, TechnicianPool
from dispatch.problem import Visit

FEASIBLE = 0
PINNED_TO_OTHER = 1
MISSING_SKILL = 2
MISSING_CERT = 3
CERT_EXPIRED = 4
OUTSIDE_RADIUS = 5
OFF_SHIFT = 6
CANNOT_ARRIVE = 7

_NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True, eq=False)
class Evaluation:
    """Column-wise outcome for `rows` (pool row indices)."""

    rows: IntArray
    kind: IntArray  # FEASIBLE or a reason constant
    detail: IntArray  # requirement index, or excess metres for OUTSIDE_RADIUS
    arrival: IntArray  # earliest in-window arrival (valid where kind == FEASIBLE)
    travel_s: IntArray
    travel_m: IntArray
    straight_m: IntArray  # home -> visit, rounded metres


@dataclass(frozen=True, slots=True, eq=False)
class CandidateSet:
    """Feasible technicians for one visit, plus the means to explain everyone else."""

    pool: TechnicianPool
    visit: Visit
    now: int
    model: TravelModel
    evaluated: Evaluation  # the grid neighbourhood

    @property
    def feasible(self) -> Evaluation:
        e = self.evaluated
        keep = e.kind == FEASIBLE
        return Evaluation(
            rows=e.rows[keep],
            kind=e.kind[keep],
            detail=e.detail[keep],
            arrival=e.arrival[keep],
            travel_s=e.travel_s[keep],
            travel_m=e.travel_m[keep],
            straight_m=e.straight_m[keep],
        )

    def reason_for(self, technician_id: str) -> str | None:
        """Why `technician_id` cannot take the visit; None when they can."""
        row = self.pool.row_of[technician_id]
        hit = np.searchsorted(self.evaluated.rows, row)
        if hit < len(self.evaluated.rows) and self.evaluated.rows[hit] == row:
            e, i = self.evaluated, int(hit)
        else:
            e, i = evaluate(self.pool, self.visit, self.now, self.model, np.array([row], dtype=np.int64)), 0
        return format_reason(self.visit, int(e.kind[i]), int(e.detail[i]))

    def exclusions(self) -> dict[str, str]:
        """Reason for every excluded technician of the pool (materialises strings: slow-ish)."""
        out: dict[str, str] = {}
        outside = np.setdiff1d(
            np.arange(len(self.pool), dtype=np.int64), self.evaluated.rows, assume_unique=True
        )
        parts = [self.evaluated]
        if len(outside):
            parts.append(evaluate(self.pool, self.visit, self.now, self.model, outside))
        for e in parts:
            for row, kind, detail in zip(e.rows.tolist(), e.kind.tolist(), e.detail.tolist(), strict=True):
                reason = format_reason(self.visit, kind, detail)
                if reason is not None:
                    out[self.pool.ids[row]] = reason
        return out


def _prefilter(pool: TechnicianPool, visit: Visit) -> IntArray:
    """Rows that may pass the skill and radius checks: the smallest (cell, skill) bucket.

    Everybody outside it lacks that skill or is out of range, and is classified lazily.
    """
    loc = visit.location
    if visit.pinned_to is not None and visit.pinned_to in pool.row_of:
        return np.array([pool.row_of[visit.pinned_to]], dtype=np.int64)
    if not visit.skills:
        return pool.rows_near(loc.lat, loc.lng)
    buckets = [pool.rows_serving(loc.lat, loc.lng, req.code) for req in visit.skills]
    return min(buckets, key=len)


def format_reason(visit: Visit, kind: int, detail: int) -> str | None:
    if kind == FEASIBLE:
        return None
    if kind == PINNED_TO_OTHER:
        return f"pinned_to_other:{visit.pinned_to}"
    if kind == MISSING_SKILL:
        return f"missing_skill:{visit.skills[detail]}"
    if kind == MISSING_CERT:
        return f"missing_certification:{visit.certifications[detail]}"
    if kind == CERT_EXPIRED:
        return f"certification_expired:{visit.certifications[detail]}"
    if kind == OUTSIDE_RADIUS:
        return f"outside_radius:{math.ceil(detail / 100) / 10:.1f}km"
    if kind == OFF_SHIFT:
        return "off_shift"
    if kind == CANNOT_ARRIVE:
        return "cannot_arrive_in_window"
    raise ValueError(f"unknown reason kind {kind}")


def find_candidates(
    pool: TechnicianPool, visit: Visit, now: int, model: TravelModel = DEFAULT_TRAVEL_MODEL
) -> CandidateSet:
    """Evaluate the indexed neighbourhood of `visit` (see module docstring for the rules)."""
    rows = _prefilter(pool, visit)
    return CandidateSet(
        pool=pool, visit=visit, now=now, model=model, evaluated=evaluate(pool, visit, now, model, rows)
    )


def _qualification(
    pool: TechnicianPool, visit: Visit, now: int, rows: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Checks 1-4 (who, not when).

    Returns kind, detail, straight metres home -> visit, the soonest expiry among the
    required certifications and which requirement that is (it caps the arrival time).
    """
    n = len(rows)
    kind = np.zeros(n, dtype=np.int64)
    detail = np.zeros(n, dtype=np.int64)

    def fail(mask: np.ndarray, reason: int, info: int | IntArray) -> None:
        hit = mask & (kind == FEASIBLE)
        kind[hit] = reason
        detail[hit] = info if isinstance(info, int) else info[hit]

    if visit.pinned_to is not None:
        pinned_row = pool.row_of.get(visit.pinned_to, -1)
        fail(rows != pinned_row, PINNED_TO_OTHER, 0)
    for j, req in enumerate(visit.skills):
        col = pool.skill_codes.get(req.code)
        levels = pool.skill_levels[rows, col] if col is not None else np.zeros(n, dtype=np.int64)
        fail(levels < req.min_level, MISSING_SKILL, j)

    earliest_start = max(now, visit.window.start)
    min_expiry = np.full(n, CERT_NEVER_EXPIRES, dtype=np.int64)
    min_expiry_req = np.zeros(n, dtype=np.int64)
    for j, code in enumerate(visit.certifications):
        col = pool.cert_codes.get(code)
        expiry = pool.cert_expiry[rows, col] if col is not None else np.full(n, CERT_MISSING, dtype=np.int64)
        missing = expiry == CERT_MISSING
        fail(missing, MISSING_CERT, j)
        fail(~missing & (expiry <= earliest_start), CERT_EXPIRED, j)
        sooner = expiry < min_expiry
        min_expiry[sooner] = expiry[sooner]
        min_expiry_req[sooner] = j

    target = np.array([[visit.location.lat, visit.location.lng]])
    straight = np.zeros(n, dtype=np.int64)
    alive = kind == FEASIBLE
    if alive.any():
        straight[alive] = np.rint(geodesic_matrix_m(pool.home[rows[alive]], target)[:, 0]).astype(np.int64)
        excess = straight - pool.radius_m[rows].astype(np.int64)
        fail(alive & (excess > 0), OUTSIDE_RADIUS, excess)
    return kind, detail, straight, min_expiry, min_expiry_req


def _travel(pool: TechnicianPool, visit: Visit, model: TravelModel, rows: IntArray) -> tuple[IntArray, ...]:
    """Travel (seconds, metres) to the visit from home and from the last known position."""
    target = np.array([[visit.location.lat, visit.location.lng]])
    home = model.matrices(pool.home[rows], target)
    from_home_s, from_home_m = home.seconds[:, 0], home.metres[:, 0]
    from_pos_s, from_pos_m = from_home_s.copy(), from_home_m.copy()
    moved = pool.has_location[rows]
    if moved.any():
        pos = model.matrices(pool.position[rows[moved]], target)
        from_pos_s[moved] = pos.seconds[:, 0]
        from_pos_m[moved] = pos.metres[:, 0]
    return from_home_s, from_home_m, from_pos_s, from_pos_m


def evaluate(pool: TechnicianPool, visit: Visit, now: int, model: TravelModel, rows: IntArray) -> Evaluation:
    """Run every check for `rows` at once."""
    n = len(rows)
    kind, detail, straight, min_expiry, expiry_req = _qualification(pool, visit, now, rows)
    arrival = np.zeros(n, dtype=np.int64)
    travel_s = np.zeros(n, dtype=np.int64)
    travel_m = np.zeros(n, dtype=np.int64)
    alive = np.flatnonzero(kind == FEASIBLE)
    if len(alive):
        sub = rows[alive]
        timing = shift_timing(
            pool, visit, now, model, sub, cert_expiry=min_expiry[alive], respect_window_end=True
        )
        arrival[alive] = timing.arrival
        travel_s[alive] = timing.travel_s
        travel_m[alive] = timing.travel_m
        no_overlap = ~timing.overlaps
        late = timing.arrival == _NEVER
        expired_only = late & timing.feasible_without_cert
        new_kind = np.select(
            [no_overlap & late, expired_only, late], [OFF_SHIFT, CERT_EXPIRED, CANNOT_ARRIVE], FEASIBLE
        )
        kind[alive] = new_kind
        detail[alive] = np.where(new_kind == CERT_EXPIRED, expiry_req[alive], 0)
    return Evaluation(
        rows=rows,
        kind=kind,
        detail=detail,
        arrival=arrival,
        travel_s=travel_s,
        travel_m=travel_m,
        straight_m=straight,
    )


@dataclass(frozen=True, slots=True, eq=False)
class ShiftTiming:
    arrival: IntArray  # earliest feasible arrival over all shifts; _NEVER when none
    travel_s: IntArray
    travel_m: IntArray
    shift_index: IntArray  # which shift gives that arrival (-1 when none)
    overlaps: np.ndarray  # some future shift overlaps the still-open part of the window
    feasible_without_cert: np.ndarray  # would be feasible if certificates never expired


def shift_timing(
    pool: TechnicianPool,
    visit: Visit,
    now: int,
    model: TravelModel,
    rows: IntArray,
    cert_expiry: IntArray,
    respect_window_end: bool,
) -> ShiftTiming:
    """Earliest arrival for each row over all of its shifts that have not ended by `now`.

    With `respect_window_end=False` the window end is ignored (the earliest option to
    offer a customer when their window cannot be met), but arrival still waits for the
    window start and the job must still fit in the shift.
    """
    from_home_s, from_home_m, from_pos_s, from_pos_m = _travel(pool, visit, model, rows)
    start = pool.shift_start[rows]
    end = pool.shift_end[rows]
    w = visit.window
    valid = (start != NO_SHIFT) & (end > now)
    current = valid & (start <= now)
    travel = np.where(current, from_pos_s[:, None], from_home_s[:, None])
    depart = np.maximum(start, now)
    arrive = np.maximum(depart + travel, w.start)
    fits = valid & (arrive + visit.duration_s <= end)
    if respect_window_end:
        fits &= arrive < w.end
    ok = fits & (arrive < cert_expiry[:, None])
    masked = np.where(ok, arrive, _NEVER)
    best = masked.argmin(axis=1) if masked.shape[1] else np.zeros(len(rows), dtype=np.int64)
    idx = np.arange(len(rows))
    arrival = masked[idx, best] if masked.shape[1] else np.full(len(rows), _NEVER, dtype=np.int64)
    found = arrival != _NEVER
    used_pos = current[idx, best] if masked.shape[1] else np.zeros(len(rows), dtype=bool)
    t_s = np.where(found, np.where(used_pos, from_pos_s, from_home_s), 0)
    t_m = np.where(found, np.where(used_pos, from_pos_m, from_home_m), 0)
    overlaps = (valid & (start < w.end) & (end > max(now, w.start))).any(axis=1)
    return ShiftTiming(
        arrival=arrival,
        travel_s=t_s,
        travel_m=t_m,
        shift_index=np.where(found, best, -1),
        overlaps=overlaps,
        feasible_without_cert=fits.any(axis=1),
    )


@dataclass(frozen=True, slots=True)
class EarliestOption:
    """The soonest any qualified technician could start the visit, ignoring the window end."""

    technician_id: str
    arrival: int
    travel_s: int


def callback_option(
    pool: TechnicianPool, visit: Visit, now: int, model: TravelModel = DEFAULT_TRAVEL_MODEL
) -> tuple[int, EarliestOption | None]:
    """How many technicians are qualified (checks 1-4), and the earliest option among them.

    Used when nobody can come inside the window: the customer is called back with this
    proposal. Zero qualified means `no_qualified_technician`. Ties go to the lower pool row.
    """
    rows = _prefilter(pool, visit)
    kind, _detail, _straight, min_expiry, _req = _qualification(pool, visit, now, rows)
    qualified = rows[kind == FEASIBLE]
    if not len(qualified):
        return 0, None
    timing = shift_timing(
        pool, visit, now, model, qualified, cert_expiry=min_expiry[kind == FEASIBLE], respect_window_end=False
    )
    best = int(timing.arrival.argmin())
    if timing.arrival[best] == _NEVER:
        return len(qualified), None
    option = EarliestOption(
        technician_id=pool.ids[int(qualified[best])],
        arrival=int(timing.arrival[best]),
        travel_s=int(timing.travel_s[best]),
    )
    return len(qualified), option
