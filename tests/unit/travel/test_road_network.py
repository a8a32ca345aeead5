"""Driving on real streets: the bundled central-Helsinki extract and a hand-made grid."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from dispatch.geo import DetourTravelModel, coordinates
from dispatch.problem import GeoPoint
from dispatch.roads import OffNetwork, RoadNetwork, RoadTravelModel
from marketplace.travel.osm import direction, read_network, segment_speed_kmh


@cache
def helsinki() -> RoadNetwork:
    return read_network("helsinki")


def two_way(network: RoadNetwork) -> RoadNetwork:
    """The same streets with every one-way opened in both directions."""
    pairs = {
        (int(t), int(h)): (float(s), float(m))
        for t, h, s, m in zip(network.tail, network.head, network.seconds, network.metres, strict=True)
    }
    for (t, h), value in list(pairs.items()):
        pairs.setdefault((h, t), value)
    keys = list(pairs)
    return RoadNetwork(
        lat=network.lat,
        lng=network.lng,
        tail=np.array([k[0] for k in keys]),
        head=np.array([k[1] for k in keys]),
        seconds=np.array([pairs[k][0] for k in keys]),
        metres=np.array([pairs[k][1] for k in keys]),
    )


def node_table(model: RoadTravelModel) -> tuple[np.ndarray, np.ndarray]:
    nodes = np.arange(model.network.nodes)
    return model.node_rows(nodes)


def test_the_extract_is_read_as_a_directed_street_graph() -> None:
    net = helsinki()
    assert net.nodes > 1000
    tail_head = set(zip(net.tail.tolist(), net.head.tolist(), strict=True))
    one_way = [(t, h) for t, h in tail_head if (h, t) not in tail_head]
    assert len(one_way) > 100  # central Helsinki has many one-way streets
    assert len(tail_head) - len(one_way) > 100


def test_travel_is_symmetric_where_every_street_is_two_way() -> None:
    seconds, metres = node_table(RoadTravelModel(two_way(helsinki())))
    reached = np.isfinite(seconds)
    assert reached.mean() > 0.8
    assert np.allclose(np.where(reached, seconds, 0), np.where(reached.T, seconds.T, 0))
    assert np.allclose(np.where(reached, metres, 0), np.where(reached.T, metres.T, 0))


def test_one_way_streets_make_some_trips_longer_in_one_direction() -> None:
    net = helsinki()
    seconds, _ = node_table(RoadTravelModel(net))
    opened, _ = node_table(RoadTravelModel(two_way(net)))
    both = np.isfinite(seconds) & np.isfinite(seconds.T)
    finite = np.where(both, seconds, 0.0)
    assert (np.abs(finite - finite.T)[both] > 1.0).mean() > 0.05
    # Opening the one-way streets can only shorten trips, never lengthen them.
    assert (opened[both] <= seconds[both] + 1e-6).all()


def test_shortest_times_never_use_a_one_way_street_against_its_direction() -> None:
    """Bellman's conditions over the directed edges certify that every time is a shortest
    path that uses edges only in their own direction."""
    net = helsinki()
    model = RoadTravelModel(net)
    sources = model.snap(coordinates([GeoPoint(60.17, 24.94), GeoPoint(60.166, 24.95)]))[0]
    seconds, _ = model.node_rows(sources)
    for row, source in zip(seconds, sources, strict=True):
        finite = np.isfinite(row[net.tail])
        # no directed edge offers a shortcut ...
        assert (row[net.head][finite] <= row[net.tail][finite] + net.seconds[finite] + 1e-6).all()
        # ... and every reached node is reached through one of them, in its direction
        for node in np.flatnonzero(np.isfinite(row)):
            if node == source:
                continue
            into = net.head == node
            assert np.isclose((row[net.tail[into]] + net.seconds[into]).min(), row[node])


def test_metres_are_those_of_the_fastest_route() -> None:
    net = helsinki()
    model = RoadTravelModel(net)
    source = int(model.snap(coordinates([GeoPoint(60.17, 24.945)]))[0][0])
    _, metres = model.node_rows(np.array([source]))
    graph = model._graph  # the same fastest-edge graph the model searches
    times, pred = dijkstra(graph, indices=[source], return_predecessors=True)
    lengths = {(int(t), int(h)): float(m) for t, h, m in zip(net.tail, net.head, net.metres, strict=True)}
    for node in np.flatnonzero(np.isfinite(times[0]))[::25]:
        walked, at = 0.0, int(node)
        while at != source:
            before = int(pred[0, at])
            walked += lengths[(before, at)]
            at = before
        assert metres[0, node] == pytest.approx(walked, abs=0.01)


def test_a_hand_made_grid_with_one_one_way_street() -> None:
    # 0 -> 1 is one-way (10 s); 1 <-> 2 <-> 0 is the way back (30 s each way).
    grid = RoadNetwork(
        lat=np.array([60.0, 60.0, 60.001]),
        lng=np.array([24.0, 24.001, 24.0005]),
        tail=np.array([0, 1, 2, 2, 0]),
        head=np.array([1, 2, 1, 0, 2]),
        seconds=np.array([10.0, 30.0, 30.0, 30.0, 30.0]),
        metres=np.array([100.0, 150.0, 150.0, 150.0, 150.0]),
    )
    model = RoadTravelModel(grid)
    seconds, metres = model.node_rows(np.array([0, 1]))
    assert seconds[0, 1] == 10.0 and metres[0, 1] == 100.0
    assert seconds[1, 0] == 60.0 and metres[1, 0] == 300.0


def test_points_off_the_extract_are_refused_with_where_and_how_far() -> None:
    model = RoadTravelModel(helsinki())
    with pytest.raises(OffNetwork, match="m from the nearest street"):
        model.leg(GeoPoint(52.37, 4.89), GeoPoint(60.17, 24.94))


def test_road_legs_are_never_shorter_than_the_straight_line() -> None:
    model = RoadTravelModel(helsinki())
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(60.1655, 60.178, 60), rng.uniform(24.937, 24.952, 60)])
    road = model.matrices(pts, pts)
    straight = DetourTravelModel(detour_factor=1.0).matrices(pts, pts)
    assert (road.metres >= straight.metres - 2).all()


@pytest.mark.parametrize(
    ("oneway", "tags", "expected"),
    [
        ("yes", None, (True, False)),
        ("-1", None, (False, True)),
        ("no", '{"junction":"roundabout"}', (True, True)),
        (None, '{"junction":"roundabout"}', (True, False)),
        (None, None, (True, True)),
    ],
)
def test_one_way_tags(oneway: str | None, tags: str | None, expected: tuple[bool, bool]) -> None:
    assert direction(oneway, tags) == expected


def test_speeds_follow_the_posted_limit_then_the_road_class() -> None:
    assert segment_speed_kmh("residential", "40") == pytest.approx(28.0)
    assert segment_speed_kmh("primary", None) == 40.0
    assert segment_speed_kmh("primary_link", "signals") == pytest.approx(32.0)
