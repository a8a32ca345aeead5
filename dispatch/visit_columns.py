"""Visits laid out as numpy columns, with skill and certification codes resolved against a pool.

`dispatch.candidates` evaluates flat (visit, technician) pairs; per-visit attributes are
gathered from these columns by visit index. Requirement slots are padded to the longest
list with `PAD`; a code the pool has never seen is `UNKNOWN` (nobody can hold it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.geo import FloatArray, IntArray, Reduced, coordinates, reduce_points
from dispatch.pool import TechnicianPool
from dispatch.problem import Visit

PAD = -1  # no requirement in this slot / visit not pinned
UNKNOWN = -2  # a code (or pinned technician) the pool has never heard of
NO_SLA = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True, eq=False)
class VisitColumns:
    """Visits as arrays, with skill/certification codes resolved to the pool's columns."""

    visits: tuple[Visit, ...]
    location: FloatArray  # (V, 2)
    location_reduced: Reduced
    window_start: IntArray
    window_end: IntArray
    duration: IntArray
    req_col: IntArray  # (V, max requirements): pool skill column, PAD or UNKNOWN
    req_level: IntArray
    cert_col: IntArray  # (V, max certifications)
    pinned_row: IntArray  # PAD when not pinned
    sla_due: IntArray  # NO_SLA when no SLA
    tier: IntArray


def visit_columns(pool: TechnicianPool, visits: Sequence[Visit]) -> VisitColumns:
    vs = tuple(visits)
    n = len(vs)
    max_req = max((len(v.skills) for v in vs), default=0)
    max_cert = max((len(v.certifications) for v in vs), default=0)
    req_col = np.full((n, max(max_req, 1)), PAD, dtype=np.int64)
    req_level = np.zeros((n, max(max_req, 1)), dtype=np.int64)
    cert_col = np.full((n, max(max_cert, 1)), PAD, dtype=np.int64)
    for i, v in enumerate(vs):
        for j, req in enumerate(v.skills):
            req_col[i, j] = pool.skill_codes.get(req.code, UNKNOWN)
            req_level[i, j] = req.min_level
        for j, code in enumerate(v.certifications):
            cert_col[i, j] = pool.cert_codes.get(code, UNKNOWN)
    location = coordinates([v.location for v in vs])
    return VisitColumns(
        visits=vs,
        location=location,
        location_reduced=reduce_points(location),
        window_start=np.array([v.window.start for v in vs], dtype=np.int64),
        window_end=np.array([v.window.end for v in vs], dtype=np.int64),
        duration=np.array([v.duration_s for v in vs], dtype=np.int64),
        req_col=req_col,
        req_level=req_level,
        cert_col=cert_col,
        pinned_row=np.array(
            [PAD if v.pinned_to is None else pool.row_of.get(v.pinned_to, UNKNOWN) for v in vs],
            dtype=np.int64,
        ),
        sla_due=np.array([NO_SLA if v.sla_due_at is None else v.sla_due_at for v in vs], dtype=np.int64),
        tier=np.array([int(v.tier) for v in vs], dtype=np.int64),
    )
