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

Only rows the pool's (grid cell, skill, level) index returns are evaluated eagerly; everyone
else lacks a required skill or lives too far away by construction, and is classified
lazily (same checks, same order) when a reason is actually asked for.

Everything is evaluated on flat (visit, technician) *pairs* with visits laid out as
columns (`VisitColumns`), so one visit (instant ranking) and a thousand (batch) go
through the same code, the latter in one vectorised pass instead of a Python loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dispatch.geo import (
    DEFAULT_TRAVEL_MODEL,
    DetourTravelModel,
    FloatArray,
    IntArray,
    TravelModel,
    lambert_m,
    pair_travel,
)
from dispatch.pool import CERT_MISSING, CERT_NEVER_EXPIRES, NO_SHIFT, TechnicianPool
from dispatch.problem import Visit
from dispatch.visit_columns import PAD, VisitColumns, visit_columns

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
    """Column-wise outcome for (visit index, pool row) pairs."""

    vis: IntArray  # index into VisitColumns.visits
    rows: IntArray  # pool row
    kind: IntArray  # FEASIBLE or a reason constant
    detail: IntArray  # requirement index, or excess metres for OUTSIDE_RADIUS
    arrival: IntArray  # earliest in-window arrival (valid where kind == FEASIBLE)
    travel_s: IntArray
    travel_m: IntArray
    straight_m: IntArray  # home -> visit, rounded metres (0 when not measured)

    def subset(self, keep: np.ndarray) -> Evaluation:
        return Evaluation(
            self.vis[keep],
            self.rows[keep],
            self.kind[keep],
            self.detail[keep],
            self.arrival[keep],
            self.travel_s[keep],
            self.travel_m[keep],
            self.straight_m[keep],
        )

    @property
    def feasible(self) -> Evaluation:
        return self.subset(self.kind == FEASIBLE)


def _qualification(
    pool: TechnicianPool, cols: VisitColumns, now: int, vis: IntArray, rows: IntArray
) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray]:
    """Checks 1-4 (who, not when) for each pair.

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

    if (cols.pinned_row != PAD).any():
        pinned = cols.pinned_row[vis]
        fail((pinned != PAD) & (rows != pinned), PINNED_TO_OTHER, 0)
    for j in range(cols.req_col.shape[1]):
        col = cols.req_col[vis, j]
        level = np.where(col >= 0, pool.skill_levels[rows, np.maximum(col, 0)], 0)
        fail((col != PAD) & (level < cols.req_level[vis, j]), MISSING_SKILL, j)

    earliest_start = np.maximum(cols.window_start[vis], now)
    min_expiry = np.full(n, CERT_NEVER_EXPIRES, dtype=np.int64)
    min_expiry_req = np.zeros(n, dtype=np.int64)
    for j in range(cols.cert_col.shape[1]):
        col = cols.cert_col[vis, j]
        required = col != PAD
        expiry = np.where(col >= 0, pool.cert_expiry[rows, np.maximum(col, 0)], CERT_MISSING)
        missing = required & (expiry == CERT_MISSING)
        fail(missing, MISSING_CERT, j)
        fail(required & ~missing & (expiry <= earliest_start), CERT_EXPIRED, j)
        sooner = required & (expiry < min_expiry)
        min_expiry[sooner] = expiry[sooner]
        min_expiry_req[sooner] = j

    straight = np.zeros(n, dtype=np.float64)
    alive = np.flatnonzero(kind == FEASIBLE)
    if len(alive):
        straight[alive] = lambert_m(
            pool.home_reduced.take(rows[alive]), cols.location_reduced.take(vis[alive])
        )
        excess = np.rint(straight).astype(np.int64) - pool.radius_m[rows].astype(np.int64)
        fail((kind == FEASIBLE) & (excess > 0), OUTSIDE_RADIUS, excess)
    return kind, detail, straight, min_expiry, min_expiry_req


def _travel(
    pool: TechnicianPool,
    cols: VisitColumns,
    model: TravelModel,
    vis: IntArray,
    rows: IntArray,
    straight: FloatArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Travel (seconds, metres) to the visit from home and from the last known position.

    The straight-line default model reuses the home distances of the radius check and
    the pool's precomputed reduced coordinates (`from_straight_metres(lambert_m(...))` is
    exactly what its `matrices` computes), saving most of the trigonometry.
    """
    detour = model if isinstance(model, DetourTravelModel) else None
    dest = cols.location[vis]
    if detour is not None:
        home = detour.from_straight_metres(straight)
        from_home_s, from_home_m = home.seconds, home.metres
    else:
        from_home_s, from_home_m = pair_travel(model, pool.home[rows], dest)
    from_pos_s, from_pos_m = from_home_s.copy(), from_home_m.copy()
    moved = np.flatnonzero(pool.has_location[rows])
    if len(moved) and detour is not None:
        metres = lambert_m(pool.position_reduced.take(rows[moved]), cols.location_reduced.take(vis[moved]))
        pos = detour.from_straight_metres(metres)
        from_pos_s[moved], from_pos_m[moved] = pos.seconds, pos.metres
    elif len(moved):
        from_pos_s[moved], from_pos_m[moved] = pair_travel(model, pool.position[rows[moved]], dest[moved])
    return from_home_s, from_home_m, from_pos_s, from_pos_m


@dataclass(frozen=True, slots=True, eq=False)
class ShiftTiming:
    arrival: IntArray  # earliest feasible arrival over all shifts; _NEVER when none
    travel_s: IntArray
    travel_m: IntArray
    overlaps: np.ndarray  # some shift overlaps the still-open part of the window
    feasible_without_cert: np.ndarray  # would be feasible if certificates never expired


def shift_timing(
    pool: TechnicianPool,
    cols: VisitColumns,
    now: int,
    model: TravelModel,
    vis: IntArray,
    rows: IntArray,
    straight: FloatArray,
    cert_expiry: IntArray,
    respect_window_end: bool,
) -> ShiftTiming:
    """Earliest arrival for each pair over the technician's shifts that have not ended.

    With `respect_window_end=False` the window end is ignored (the earliest option to
    offer a customer whose window cannot be met), but arrival still waits for the
    window start and the job must still fit in the shift.
    """
    from_home_s, from_home_m, from_pos_s, from_pos_m = _travel(pool, cols, model, vis, rows, straight)
    start = pool.shift_start[rows]
    end = pool.shift_end[rows]
    w_start = cols.window_start[vis][:, None]
    w_end = cols.window_end[vis][:, None]
    valid = (start != NO_SHIFT) & (end > now)
    current = valid & (start <= now)
    travel = np.where(current, from_pos_s[:, None], from_home_s[:, None])
    arrive = np.maximum(np.maximum(start, now) + travel, w_start)
    fits = valid & (arrive + cols.duration[vis][:, None] <= end)
    if respect_window_end:
        fits &= arrive < w_end
    masked = np.where(fits & (arrive < cert_expiry[:, None]), arrive, _NEVER)
    best = masked.argmin(axis=1)
    idx = np.arange(len(rows))
    arrival = masked[idx, best]
    found = arrival != _NEVER
    used_pos = current[idx, best]
    return ShiftTiming(
        arrival=arrival,
        travel_s=np.where(found, np.where(used_pos, from_pos_s, from_home_s), 0),
        travel_m=np.where(found, np.where(used_pos, from_pos_m, from_home_m), 0),
        overlaps=(valid & (start < w_end) & (end > np.maximum(w_start, now))).any(axis=1),
        feasible_without_cert=fits.any(axis=1),
    )


def evaluate_pairs(
    pool: TechnicianPool, cols: VisitColumns, now: int, model: TravelModel, vis: IntArray, rows: IntArray
) -> Evaluation:
    """Run every check for every (vis[i], rows[i]) pair at once."""
    n = len(rows)
    kind, detail, straight, min_expiry, expiry_req = _qualification(pool, cols, now, vis, rows)
    arrival = np.zeros(n, dtype=np.int64)
    travel_s = np.zeros(n, dtype=np.int64)
    travel_m = np.zeros(n, dtype=np.int64)
    alive = np.flatnonzero(kind == FEASIBLE)
    if len(alive):
        t = shift_timing(
            pool, cols, now, model, vis[alive], rows[alive], straight[alive], min_expiry[alive], True
        )
        late = t.arrival == _NEVER
        new_kind = np.select(
            [late & ~t.overlaps, late & t.feasible_without_cert, late],
            [OFF_SHIFT, CERT_EXPIRED, CANNOT_ARRIVE],
            FEASIBLE,
        )
        kind[alive] = new_kind
        detail[alive] = np.where(new_kind == CERT_EXPIRED, expiry_req[alive], 0)
        arrival[alive] = t.arrival
        travel_s[alive] = t.travel_s
        travel_m[alive] = t.travel_m
    return Evaluation(
        vis, rows, kind, detail, arrival, travel_s, travel_m, np.rint(straight).astype(np.int64)
    )


def prefilter(pool: TechnicianPool, visit: Visit) -> IntArray:
    """Rows that may pass the skill and radius checks: the smallest (cell, skill, level) bucket.

    Everybody outside it lacks that skill or is out of range.
    """
    loc = visit.location
    if visit.pinned_to is not None:
        row = pool.row_of.get(visit.pinned_to)
        return np.array([] if row is None else [row], dtype=np.int64)
    if not any(req.min_level > 0 for req in visit.skills):
        return pool.rows_near(loc.lat, loc.lng)
    buckets = [
        pool.rows_serving(loc.lat, loc.lng, r.code, r.min_level) for r in visit.skills if r.min_level > 0
    ]
    return min(buckets, key=len)


def evaluate_batch(pool: TechnicianPool, cols: VisitColumns, now: int, model: TravelModel) -> Evaluation:
    """Evaluate every visit of `cols` against its prefiltered rows, in one pass."""
    buckets = [prefilter(pool, v) for v in cols.visits]
    sizes = np.array([len(b) for b in buckets], dtype=np.int64)
    vis = np.repeat(np.arange(len(buckets), dtype=np.int64), sizes)
    rows = np.concatenate([*buckets, np.empty(0, dtype=np.int64)])
    return evaluate_pairs(pool, cols, now, model, vis, rows)


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


@dataclass(frozen=True, slots=True, eq=False)
class CandidateSet:
    """Feasible technicians for one visit, plus the means to explain everyone else."""

    pool: TechnicianPool
    cols: VisitColumns  # just this visit
    now: int
    model: TravelModel
    evaluated: Evaluation  # the prefiltered neighbourhood, rows ascending

    @property
    def visit(self) -> Visit:
        return self.cols.visits[0]

    @property
    def feasible(self) -> Evaluation:
        return self.evaluated.feasible

    def _evaluate(self, rows: IntArray) -> Evaluation:
        return evaluate_pairs(self.pool, self.cols, self.now, self.model, np.zeros(len(rows), np.int64), rows)

    def reason_for(self, technician_id: str) -> str | None:
        """Why `technician_id` cannot take the visit; None when they can."""
        row = self.pool.row_of[technician_id]
        e = self.evaluated
        hit = int(np.searchsorted(e.rows, row))
        if not (hit < len(e.rows) and e.rows[hit] == row):
            e, hit = self._evaluate(np.array([row], dtype=np.int64)), 0
        return format_reason(self.visit, int(e.kind[hit]), int(e.detail[hit]))

    def exclusions(self) -> dict[str, str]:
        """Reason for every excluded technician of the pool (materialises strings: slow-ish)."""
        everyone = np.arange(len(self.pool), dtype=np.int64)
        outside = np.setdiff1d(everyone, self.evaluated.rows, assume_unique=True)
        out: dict[str, str] = {}
        for e in (self.evaluated, self._evaluate(outside)):
            for row, kind, detail in zip(e.rows.tolist(), e.kind.tolist(), e.detail.tolist(), strict=True):
                reason = format_reason(self.visit, kind, detail)
                if reason is not None:
                    out[self.pool.ids[row]] = reason
        return out


def find_candidates(
    pool: TechnicianPool, visit: Visit, now: int, model: TravelModel = DEFAULT_TRAVEL_MODEL
) -> CandidateSet:
    """Evaluate the indexed neighbourhood of `visit` (see module docstring for the rules)."""
    cols = visit_columns(pool, [visit])
    rows = prefilter(pool, visit)
    evaluated = evaluate_pairs(pool, cols, now, model, np.zeros(len(rows), dtype=np.int64), rows)
    return CandidateSet(pool=pool, cols=cols, now=now, model=model, evaluated=evaluated)


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
    cols = visit_columns(pool, [visit])
    rows = prefilter(pool, visit)
    vis = np.zeros(len(rows), dtype=np.int64)
    kind, _detail, straight, min_expiry, _req = _qualification(pool, cols, now, vis, rows)
    ok = np.flatnonzero(kind == FEASIBLE)
    if not len(ok):
        return 0, None
    t = shift_timing(pool, cols, now, model, vis[ok], rows[ok], straight[ok], min_expiry[ok], False)
    best = int(t.arrival.argmin())
    if t.arrival[best] == _NEVER:
        return len(ok), None
    option = EarliestOption(
        technician_id=pool.ids[int(rows[ok][best])],
        arrival=int(t.arrival[best]),
        travel_s=int(t.travel_s[best]),
    )
    return len(ok), option
