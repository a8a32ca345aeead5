from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.geo import (
    DetourTravelModel,
    StaticTableProvider,
    TableTravelModel,
    build_travel_matrices,
    coordinates,
    geodesic_m,
    geodesic_matrix_m,
)
from dispatch.problem import GeoPoint

lat = st.floats(min_value=-70, max_value=70, allow_nan=False)
lng = st.floats(min_value=-179, max_value=179, allow_nan=False)
offset = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(lat, lng, offset, offset)
def test_vectorised_distance_matches_geopy_at_metro_scale(
    la: float, ln: float, dla: float, dln: float
) -> None:
    a, b = GeoPoint(la, ln), GeoPoint(la + dla, ln + dln)
    exact = geodesic_m(a, b)
    approx = float(geodesic_matrix_m(coordinates([a]), coordinates([b]))[0, 0])
    assert abs(approx - exact) <= max(5e-6 * exact, 1e-3)  # 5 ppm: 0.25 m on a 50 km leg


def test_matrix_is_symmetric_with_zero_diagonal() -> None:
    points = [GeoPoint(51.5, -0.1), GeoPoint(51.6, -0.2), GeoPoint(51.45, 0.05)]
    m = build_travel_matrices(points)
    assert m.shape == (3, 3)
    assert (np.diag(m.seconds) == 0).all() and (np.diag(m.metres) == 0).all()
    assert (m.seconds == m.seconds.T).all()
    assert m.seconds.dtype == np.int64


def test_detour_model_arithmetic() -> None:
    model = DetourTravelModel(detour_factor=1.3, speed_kmh=30.0)
    a, b = GeoPoint(51.5, -0.1), GeoPoint(51.6, -0.1)
    leg = model.leg(a, b)
    straight = geodesic_m(a, b)
    assert leg.metres == round(straight * 1.3)
    assert leg.seconds == round(straight * 1.3 / (30 / 3.6))
    m = model.matrices(coordinates([a]), coordinates([b]))
    assert abs(int(m.seconds[0, 0]) - leg.seconds) <= 1


def test_invalid_detour_model() -> None:
    with pytest.raises(ValueError):
        DetourTravelModel(detour_factor=0.9)


def test_table_provider_plugs_in() -> None:
    points = [GeoPoint(51.5, -0.1), GeoPoint(51.6, -0.2)]
    seconds = np.array([[0, 900], [1000, 0]])
    metres = np.array([[0, 7000], [7500, 0]])
    model = TableTravelModel(StaticTableProvider(points, seconds, metres))
    m = build_travel_matrices(points, model)
    assert m.seconds.tolist() == [[0, 900], [1000, 0]]
    assert model.leg(points[1], points[0]).metres == 7500
    with pytest.raises(KeyError):
        model.leg(points[0], GeoPoint(0.0, 0.0))
