"""Road tables over HTTP (OSRM, Valhalla) against a local stand-in server: answers, errors,
time-outs, and the straight-line fallback that records why it was used."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.geo import DEFAULT_TRAVEL_MODEL, TableTravelModel, coordinates
from dispatch.problem import GeoPoint
from marketplace.settings import Settings
from marketplace.travel.choice import FallbackTravelModel, planning_travel
from marketplace.travel.tables import OsrmTableProvider, TravelServiceError, ValhallaMatrixProvider
from tests.table_server import table_server

A, B, C = GeoPoint(60.1699, 24.9384), GeoPoint(60.1719, 24.9414), GeoPoint(60.1650, 24.9500)
ORIGINS, TARGETS = coordinates([A, B]), coordinates([B, C, A])


@pytest.mark.parametrize("kind", ["osrm", "valhalla"])
def test_a_table_is_read_in_seconds_and_metres(kind: str) -> None:
    with table_server() as (server, url):
        provider = OsrmTableProvider(url) if kind == "osrm" else ValhallaMatrixProvider(url)
        seconds, metres = provider.table(ORIGINS, TARGETS)
    assert server.requests == 1
    assert seconds.shape == metres.shape == (2, 3)
    assert metres[0, 2] == 0 and metres[1, 0] == 0  # A->A and B->B
    assert metres[0, 0] == pytest.approx(290, abs=15)  # A->B, about 290 m apart
    assert np.allclose(seconds, metres / 10.0, atol=1)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("down", "HTTP 503"),
        ("slow", "in time"),
        ("error", "code 'NoTable'"),
        ("unroutable", "unroutable"),
        ("garbage", "not JSON"),
    ],
)
def test_a_misbehaving_osrm_gives_a_clear_error(mode: str, message: str) -> None:
    with table_server(mode) as (server, url):
        server.delay_s = 1.0
        with pytest.raises(TravelServiceError, match=message):
            OsrmTableProvider(url, timeout_s=0.3).table(ORIGINS, TARGETS)


def test_an_unreachable_service_is_a_clear_error() -> None:
    with table_server() as (_, url):
        pass  # closed again: nothing listens on that port now
    with pytest.raises(TravelServiceError, match="cannot reach"):
        ValhallaMatrixProvider(url, timeout_s=0.5).table(ORIGINS, TARGETS)


def test_the_straight_line_answers_when_the_service_fails_and_the_reason_is_kept() -> None:
    with table_server("slow") as (server, url):
        server.delay_s = 1.0
        model = FallbackTravelModel(TableTravelModel(OsrmTableProvider(url, timeout_s=0.2)), "osrm")
        got = model.matrices(ORIGINS, TARGETS)
    expected = DEFAULT_TRAVEL_MODEL.matrices(ORIGINS, TARGETS)
    assert (got.seconds == expected.seconds).all()
    assert model.used.startswith("straight (osrm failed: no answer from")


def test_settings_choose_the_model() -> None:
    assert planning_travel(Settings()).used == "straight"
    roads = Settings(travel_model="roads", travel_roads_extract="helsinki")
    assert planning_travel(roads).used == "roads:helsinki"
    missing = planning_travel(roads.model_copy(update={"travel_roads_extract": "/nowhere/city.osm.pbf"}))
    assert (
        missing.used
        == "straight (roads:/nowhere/city.osm.pbf failed: no OpenStreetMap extract at /nowhere/city.osm.pbf)"
    )


def test_points_outside_the_extract_fall_back_to_the_straight_line() -> None:
    model = planning_travel(Settings(travel_model="roads", travel_roads_extract="helsinki"))
    amsterdam = coordinates([GeoPoint(52.37, 4.89), GeoPoint(52.36, 4.90)])
    got = model.matrices(amsterdam, amsterdam)
    assert (got.seconds == DEFAULT_TRAVEL_MODEL.matrices(amsterdam, amsterdam).seconds).all()
    assert "m from the nearest street" in model.used
