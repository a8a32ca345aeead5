"""`TechnicianPool`: technicians laid out as numpy columns plus a lat/lng grid index.

Built once per dispatch region (and rebuilt when technicians change); every candidate
search and batch assignment then works on whole columns at once instead of looping over
`Technician` objects in Python.

Encodings (all row-aligned with `technicians`):
* skills: `skill_levels[i, k]` is technician i's level in skill code `skill_codes[k]` (0 = none).
* certifications: `cert_expiry[i, k]` is when technician i's `cert_codes[k]` expires;
  `CERT_MISSING` when not held, `CERT_NEVER_EXPIRES` when it does not expire.
* shifts: padded to the longest shift list; padding rows have start = end = `NO_SHIFT`.

The grid buckets technicians by the cell of their *home* (service radius is measured
from home, see `dispatch.candidates`). A query for a point visits only the cells that a
disc of the pool's largest service radius can touch, so a metro-wide pool with small
radii scans a fraction of its rows. Longitude wrap-around at the antimeridian is not
handled (no metro straddles it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dispatch.geo import BoolArray, FloatArray, IntArray, Reduced, coordinates, reduce_points
from dispatch.problem import Technician

CERT_MISSING = np.iinfo(np.int64).min
CERT_NEVER_EXPIRES = np.iinfo(np.int64).max
NO_SHIFT = np.iinfo(np.int64).min

# The smallest metres-per-degree on WGS-84 (latitude, at the equator; longitude degrees
# are never shorter than this x cos(lat)): dividing by it over-estimates angular extents,
# so every grid query returns a superset of the exact answer.
METRES_PER_DEGREE_LAT = 110_574.0


@dataclass(frozen=True, slots=True, eq=False)
class TechnicianPool:
    technicians: tuple[Technician, ...]
    ids: tuple[str, ...]
    row_of: dict[str, int]
    home: FloatArray  # (n, 2) lat/lng
    position: FloatArray  # (n, 2) last known position (home when unknown)
    has_location: BoolArray  # (n,) position differs from home
    home_reduced: Reduced  # precomputed for `dispatch.geo.lambert_m`
    position_reduced: Reduced
    radius_m: FloatArray
    skill_codes: dict[str, int]
    skill_levels: IntArray  # (n, n_skills)
    cert_codes: dict[str, int]
    cert_expiry: IntArray  # (n, n_certs)
    shift_start: IntArray  # (n, max_shifts)
    shift_end: IntArray
    rating_sum: FloatArray
    rating_count: FloatArray
    recent_work_share: FloatArray
    max_visits_per_day: IntArray  # -1 = no limit
    cell_deg: float
    cells: dict[tuple[int, int], IntArray]  # grid cell -> rows whose home is in it
    coverage: dict[tuple[int, int, int, int], IntArray]  # (cell, skill, level) -> rows that may serve it

    def __len__(self) -> int:
        return len(self.technicians)

    @property
    def max_radius_m(self) -> float:
        return float(self.radius_m.max()) if len(self.radius_m) else 0.0

    def rows_serving(self, lat: float, lng: float, skill_code: str, min_level: int = 1) -> IntArray:
        """Rows holding `skill_code` at `min_level` or above whose service disc may cover the point.

        The main prefilter: the (cell, skill, level) bucket is usually a few percent of the pool.
        """
        col = self.skill_codes.get(skill_code)
        if col is None:
            return np.empty(0, dtype=np.int64)
        key = (_cell(lat, self.cell_deg), _cell(lng, self.cell_deg), col, max(min_level, 1))
        return self.coverage.get(key, np.empty(0, dtype=np.int64))

    def rows_near(self, lat: float, lng: float, radius_m: float | None = None) -> IntArray:
        """Rows whose home cell may lie within `radius_m` (default: the largest service radius).

        A superset: callers still check the exact distance.
        """
        reach = self.max_radius_m if radius_m is None else radius_m
        dlat = reach / METRES_PER_DEGREE_LAT
        cos_lat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
        dlng = dlat / cos_lat
        lat_lo, lat_hi = _cell(lat - dlat, self.cell_deg), _cell(lat + dlat, self.cell_deg)
        lng_lo, lng_hi = _cell(lng - dlng, self.cell_deg), _cell(lng + dlng, self.cell_deg)
        n_cells = (lat_hi - lat_lo + 1) * (lng_hi - lng_lo + 1)
        if n_cells > len(self.cells):
            chunks = [
                rows
                for (ci, cj), rows in self.cells.items()
                if lat_lo <= ci <= lat_hi and lng_lo <= cj <= lng_hi
            ]
        else:
            chunks = []
            for ci in range(lat_lo, lat_hi + 1):
                for cj in range(lng_lo, lng_hi + 1):
                    rows = self.cells.get((ci, cj))
                    if rows is not None:
                        chunks.append(rows)
        if not chunks:
            return np.empty(0, dtype=np.int64)
        return np.sort(np.concatenate(chunks))


def _cell(value: float, cell_deg: float) -> int:
    return math.floor(value / cell_deg)


def build_pool(technicians: Sequence[Technician], cell_km: float = 5.0) -> TechnicianPool:
    """Index `technicians` for fast candidate search. Ids must be unique."""
    techs = tuple(technicians)
    n = len(techs)
    ids = tuple(t.id for t in techs)
    row_of = {tid: i for i, tid in enumerate(ids)}
    if len(row_of) != n:
        raise ValueError("technician ids must be unique")

    skill_codes: dict[str, int] = {}
    cert_codes: dict[str, int] = {}
    for t in techs:
        for code, _level in t.skills:
            skill_codes.setdefault(code, len(skill_codes))
        for cert in t.certifications:
            cert_codes.setdefault(cert.code, len(cert_codes))

    skill_levels = np.zeros((n, max(len(skill_codes), 1)), dtype=np.int64)
    cert_expiry = np.full((n, max(len(cert_codes), 1)), CERT_MISSING, dtype=np.int64)
    max_shifts = max((len(t.shifts) for t in techs), default=0)
    shift_start = np.full((n, max(max_shifts, 1)), NO_SHIFT, dtype=np.int64)
    shift_end = np.full((n, max(max_shifts, 1)), NO_SHIFT, dtype=np.int64)
    for i, t in enumerate(techs):
        for code, level in t.skills:
            col = skill_codes[code]
            skill_levels[i, col] = max(skill_levels[i, col], level)
        for cert in t.certifications:
            col = cert_codes[cert.code]
            expiry = CERT_NEVER_EXPIRES if cert.expires_at is None else cert.expires_at
            cert_expiry[i, col] = max(cert_expiry[i, col], expiry)
        for k, shift in enumerate(t.shifts):
            shift_start[i, k] = shift.start
            shift_end[i, k] = shift.end

    home = coordinates([t.home for t in techs])
    position = coordinates([t.position for t in techs])
    has_location = np.array([t.location is not None and t.location != t.home for t in techs], dtype=bool)

    cell_deg = cell_km * 1000.0 / METRES_PER_DEGREE_LAT
    cells: dict[tuple[int, int], list[int]] = {}
    for i in range(n):
        key = (_cell(home[i, 0], cell_deg), _cell(home[i, 1], cell_deg))
        cells.setdefault(key, []).append(i)

    radius_m = np.array([t.service_radius_m for t in techs], dtype=np.float64)
    return TechnicianPool(
        technicians=techs,
        ids=ids,
        row_of=row_of,
        home=home,
        position=position,
        has_location=has_location,
        home_reduced=reduce_points(home),
        position_reduced=reduce_points(position),
        radius_m=radius_m,
        skill_codes=skill_codes,
        skill_levels=skill_levels,
        cert_codes=cert_codes,
        cert_expiry=cert_expiry,
        shift_start=shift_start,
        shift_end=shift_end,
        rating_sum=np.array([t.rating_sum for t in techs], dtype=np.float64),
        rating_count=np.array([t.rating_count for t in techs], dtype=np.float64),
        recent_work_share=np.array([t.recent_work_share for t in techs], dtype=np.float64),
        max_visits_per_day=np.array(
            [-1 if t.max_visits_per_day is None else t.max_visits_per_day for t in techs], dtype=np.int64
        ),
        cell_deg=cell_deg,
        cells={key: np.array(rows, dtype=np.int64) for key, rows in cells.items()},
        coverage=_coverage_index(home, radius_m, skill_levels, cell_deg),
    )


def with_availability(
    pool: TechnicianPool, technicians: Sequence[Technician] | Mapping[int, Technician]
) -> TechnicianPool:
    """`pool` with new shifts and last known positions: for every row (a row-aligned
    sequence), or only for the rows of a mapping, where every other row keeps `pool`'s own
    technician.

    Skills, certifications, homes, radii, ratings and the coverage index do not depend on
    shifts or positions, so they are shared with `pool` (taken from it, not from
    `technicians`): this costs one pass over the new shifts instead of a rebuild, and equals
    `build_pool` of the resulting technicians when only shifts and positions differ from
    `pool`'s. A pool built without shifts plus a mapping for the rows one visit can reach
    (`dispatch.candidates.prefilter`) answers that visit exactly as the whole pool would.
    """
    n = len(pool)
    if isinstance(technicians, Mapping):
        updates = dict(technicians)
    else:
        if len(technicians) != n:
            raise ValueError("technicians must be row-aligned with the pool")
        updates = dict(enumerate(technicians))
    if any(not 0 <= row < n or t.id != pool.ids[row] for row, t in updates.items()):
        raise ValueError("technicians must be row-aligned with the pool")
    kept = len(updates) < n  # some rows keep the pool's shifts
    width = max(
        pool.shift_start.shape[1] if kept else 1, max((len(t.shifts) for t in updates.values()), default=1), 1
    )
    shift_start = np.full((n, width), NO_SHIFT, dtype=np.int64)
    shift_end = np.full((n, width), NO_SHIFT, dtype=np.int64)
    if kept:
        shift_start[:, : pool.shift_start.shape[1]] = pool.shift_start
        shift_end[:, : pool.shift_end.shape[1]] = pool.shift_end
    position = pool.position.copy()
    has_location = pool.has_location.copy()
    techs = list(pool.technicians)
    for row, t in updates.items():
        techs[row] = t
        shift_start[row] = NO_SHIFT
        shift_end[row] = NO_SHIFT
        for k, shift in enumerate(t.shifts):
            shift_start[row, k] = shift.start
            shift_end[row, k] = shift.end
        where = t.position
        position[row] = (where.lat, where.lng)
        has_location[row] = t.location is not None and t.location != t.home
    return replace(
        pool,
        technicians=tuple(techs),
        position=position,
        has_location=has_location,
        position_reduced=reduce_points(position),
        shift_start=shift_start,
        shift_end=shift_end,
    )


def _coverage_index(
    home: FloatArray, radius_m: FloatArray, skill_levels: IntArray, cell_deg: float
) -> dict[tuple[int, int, int, int], IntArray]:
    """(cell, skill column, level) -> sorted rows holding the skill at that level or above
    whose service disc's bounding box touches the cell.

    Built with numpy in one pass: each technician expands to the cells of the bounding box
    of their service disc (about 150 cells for a 30 km radius at 5 km cells), once per
    skill and level up to theirs; the (key, row) pairs are then sorted and split by key.
    About 4 M entries for the 10,000-technician bench city.
    """
    n = len(home)
    if n == 0:
        return {}
    dlat = radius_m / METRES_PER_DEGREE_LAT
    cos_lat = np.maximum(np.cos(np.radians(np.minimum(np.abs(home[:, 0]) + dlat, 89.9))), 1e-6)
    dlng = dlat / cos_lat
    lat_lo = np.floor((home[:, 0] - dlat) / cell_deg).astype(np.int64)
    lat_hi = np.floor((home[:, 0] + dlat) / cell_deg).astype(np.int64)
    lng_lo = np.floor((home[:, 1] - dlng) / cell_deg).astype(np.int64)
    lng_hi = np.floor((home[:, 1] + dlng) / cell_deg).astype(np.int64)
    width = lng_hi - lng_lo + 1
    per_tech = (lat_hi - lat_lo + 1) * width

    def expand(counts: IntArray) -> tuple[IntArray, IntArray]:
        """Index of the item each expanded entry came from, and its offset within it."""
        item = np.repeat(np.arange(len(counts)), counts)
        return item, np.arange(len(item)) - np.repeat(np.cumsum(counts) - counts, counts)

    # one entry per (technician, skill, level l <= their level): "has this skill at >= l"
    pair_row, pair_skill = np.nonzero(skill_levels > 0)
    if not len(pair_row):  # nobody holds any skill yet
        return {}
    item, offset = expand(skill_levels[pair_row, pair_skill])
    t_row, t_skill, t_level = pair_row[item], pair_skill[item], offset + 1
    # ... times every cell of the technician's bounding box
    item, offset = expand(per_tech[t_row])
    row, skill, level = t_row[item], t_skill[item], t_level[item]
    ci = lat_lo[row] + offset // width[row]
    cj = lng_lo[row] + offset % width[row]

    # one int64 key per (cell, skill, level); a stable sort keeps rows ascending per key
    ci0, cj0 = int(ci.min()), int(cj.min())
    n_cj, n_skill, n_level = int(cj.max()) - cj0 + 1, skill_levels.shape[1], int(level.max())
    key = (((ci - ci0) * n_cj + (cj - cj0)) * n_skill + skill) * n_level + (level - 1)
    order = np.argsort(key, kind="stable")
    key, row = key[order], row[order]
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1, [len(row)]])
    firsts = key[bounds[:-1]]
    lv = firsts % n_level + 1
    sk = (firsts // n_level) % n_skill
    cell = firsts // (n_level * n_skill)
    ci_, cj_ = cell // n_cj + ci0, cell % n_cj + cj0
    return {
        (int(a), int(b), int(c), int(d)): row[lo:hi]
        for a, b, c, d, lo, hi in zip(
            ci_.tolist(),
            cj_.tolist(),
            sk.tolist(),
            lv.tolist(),
            bounds[:-1].tolist(),
            bounds[1:].tolist(),
            strict=True,
        )
    }
