"""Travel matrices for the day planner.

The planner never computes distances itself: it asks a *travel provider* for the travel
seconds and metres between a list of points. The provider is any callable
``provider(points) -> TravelMatrices`` (or anything with ``seconds``/``metres`` arrays, or a
``(seconds, metres)`` pair), which keeps the solver independent of the travel model:
tests use :func:`euclidean_provider` on plane coordinates, the metro benchmark a geodesic
model, production may plug in a road-network table service.

Matrices are square ``int64`` numpy arrays indexed like the points that were passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from dispatch.problem import GeoPoint


@dataclass(frozen=True, slots=True, eq=False)
class TravelMatrices:
    """Travel time (integer seconds) and distance (integer metres) between points."""

    seconds: np.ndarray
    metres: np.ndarray

    def __post_init__(self) -> None:
        s = np.asarray(self.seconds, dtype=np.int64)
        m = np.asarray(self.metres, dtype=np.int64)
        if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape != m.shape:
            raise ValueError(f"travel matrices must be square and equal: {s.shape} vs {m.shape}")
        if (s < 0).any() or (m < 0).any():
            raise ValueError("travel matrices must be non-negative")
        object.__setattr__(self, "seconds", s)
        object.__setattr__(self, "metres", m)

    @property
    def size(self) -> int:
        return int(self.seconds.shape[0])

    def take(self, index: Sequence[int] | np.ndarray) -> TravelMatrices:
        """The sub-matrices for the given point indices (in that order)."""
        idx = np.asarray(index, dtype=np.int64)
        return TravelMatrices(self.seconds[np.ix_(idx, idx)], self.metres[np.ix_(idx, idx)])


TravelProvider = Callable[[Sequence[GeoPoint]], Any]


class MatrixModel(Protocol):
    """Anything with ``matrices(origins, destinations)`` over (n, 2) lat/lng arrays, such as
    ``dispatch.geo.TravelModel``."""

    def matrices(self, origins: Any, destinations: Any) -> Any: ...


TravelSource = TravelProvider | TravelMatrices | MatrixModel


def as_travel_matrices(value: Any) -> TravelMatrices:
    """Normalise whatever a provider returned into :class:`TravelMatrices`.

    Accepts a :class:`TravelMatrices`, an object with ``seconds`` and ``metres`` (or
    ``durations_s``/``distances_m``) attributes, or a ``(seconds, metres)`` pair.
    """
    if isinstance(value, TravelMatrices):
        return value
    for s_name, m_name in (("seconds", "metres"), ("durations_s", "distances_m"), ("seconds", "meters")):
        if hasattr(value, s_name) and hasattr(value, m_name):
            return TravelMatrices(np.asarray(getattr(value, s_name)), np.asarray(getattr(value, m_name)))
    if isinstance(value, tuple) and len(value) == 2:
        return TravelMatrices(np.asarray(value[0]), np.asarray(value[1]))
    raise TypeError(f"cannot read travel matrices from {type(value).__name__}")


def euclidean_provider(scale: float = 1.0, speed: float = 1.0, truncate: bool = True) -> TravelProvider:
    """Plane Euclidean travel on ``(lat, lng)`` read as ``(x, y)``.

    ``metres = floor(scale * d)`` (or rounded when ``truncate`` is False) and
    ``seconds = floor(scale * d / speed)``. With ``scale=10, speed=1`` this is exactly the
    DIMACS convention for Solomon instances (every arc truncated to one decimal, times and
    distances alike, all scaled by 10 to stay integral).
    """

    def provide(points: Sequence[GeoPoint]) -> TravelMatrices:
        xy = np.array([(p.lat, p.lng) for p in points], dtype=np.float64).reshape(-1, 2)
        diff = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=2)) * scale
        # A tiny epsilon guards floor() against 3.9999999 style representation errors.
        rounder = (lambda a: np.floor(a + 1e-9)) if truncate else np.rint
        metres = rounder(dist).astype(np.int64)
        seconds = rounder(dist / speed).astype(np.int64)
        return TravelMatrices(seconds, metres)

    return provide


def haversine_provider(speed_mps: float = 8.0, detour: float = 1.3) -> TravelProvider:
    """Great-circle distance x detour factor, at a constant speed (vectorised).

    A simple fallback so the planner is usable without ``dispatch.geo``; the metro benchmark
    uses the shared geodesic travel model when it is available.
    """

    def provide(points: Sequence[GeoPoint]) -> TravelMatrices:
        lat = np.radians(np.array([p.lat for p in points], dtype=np.float64))
        lng = np.radians(np.array([p.lng for p in points], dtype=np.float64))
        dlat = lat[:, None] - lat[None, :]
        dlng = lng[:, None] - lng[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlng / 2) ** 2
        dist = 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * detour
        metres = np.rint(dist).astype(np.int64)
        seconds = np.rint(dist / speed_mps).astype(np.int64)
        return TravelMatrices(seconds, metres)

    return provide


def euclid(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])
