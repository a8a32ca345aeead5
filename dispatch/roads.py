"""Travel on a street network: shortest driving times between points on real roads.

A `RoadNetwork` is plain data (node coordinates and directed edges with their driving
seconds and metres); reading it from an OpenStreetMap extract happens outside `dispatch/`
(`marketplace/travel/osm.py`). `RoadTravelModel` implements `dispatch.geo.TravelModel`:

- every point is snapped to the nearest node of the network's largest strongly connected
  part, so every pair has a finite answer (a dead-end fragment would otherwise be
  unreachable or a trap);
- the walk from the door to that node is costed with the straight-line model at
  `access_speed_kmh` (parking and the last metres on foot);
- node-to-node times come from Dijkstra over driving seconds (scipy's csgraph), one run per
  distinct origin node; rows are cached per origin node, so repeated matrices over the
  same region (one per re-plan) mostly read the cache;
- metres are those of the fastest route, not the shortest one, read off the predecessor
  tree by pointer doubling (log2(depth) vectorised passes instead of one walk per node).

Directed edges keep one-way streets one-way: a pair of points can differ in each direction,
and does only where the streets make it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from dispatch.geo import FloatArray, IntArray, Leg, TravelMatrices, coordinates
from dispatch.problem import GeoPoint

_EARTH_M = 6_371_008.8


class OffNetwork(ValueError):
    """A point lies farther from every street of the network than the model accepts."""


@dataclass(frozen=True, slots=True, eq=False)
class RoadNetwork:
    """Directed street graph. Nodes are indexed 0..n-1; edge k goes tail[k] -> head[k]."""

    lat: FloatArray
    lng: FloatArray
    tail: IntArray
    head: IntArray
    seconds: FloatArray
    metres: FloatArray

    def __post_init__(self) -> None:
        n = len(self.lat)
        if len(self.lng) != n:
            raise ValueError("lat and lng must have the same length")
        sizes = {len(self.tail), len(self.head), len(self.seconds), len(self.metres)}
        if len(sizes) != 1:
            raise ValueError("edge arrays must have the same length")
        if len(self.tail) and (
            int(max(self.tail.max(), self.head.max())) >= n or min(self.tail.min(), self.head.min()) < 0
        ):
            raise ValueError("edge endpoints must be node indices")
        if (self.seconds <= 0).any() or (self.metres < 0).any():
            raise ValueError("edges need positive seconds and non-negative metres")

    @property
    def nodes(self) -> int:
        return len(self.lat)


def _local_xy(lat: FloatArray, lng: FloatArray, lat0: float) -> FloatArray:
    """Equirectangular metres around `lat0`: exact enough for nearest-node lookups in a city."""
    x = np.radians(lng) * np.cos(np.radians(lat0)) * _EARTH_M
    y = np.radians(lat) * _EARTH_M
    return np.column_stack([x, y])


def _parallel_edges_min(network: RoadNetwork) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Keep the fastest of parallel edges (csr_matrix would otherwise add them up)."""
    order = np.lexsort((network.seconds, network.head, network.tail))
    tail, head = network.tail[order], network.head[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    keep = order[first]
    return network.tail[keep], network.head[keep], network.seconds[keep], network.metres[keep]


@dataclass(slots=True, eq=False)
class RoadTravelModel:
    """`TravelModel` over a `RoadNetwork` (see the module notes)."""

    network: RoadNetwork
    access_speed_kmh: float = 15.0
    max_snap_m: float = 1_000.0
    cache_rows: int = 4096
    _graph: csr_matrix = field(init=False, repr=False)
    _metre_graph: csr_matrix = field(init=False, repr=False)
    _snap_nodes: IntArray = field(init=False, repr=False)
    _tree: cKDTree = field(init=False, repr=False)
    _lat0: float = field(init=False, repr=False)
    _rows: OrderedDict[int, tuple[FloatArray, FloatArray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.access_speed_kmh <= 0:
            raise ValueError("access_speed_kmh must be positive")
        net = self.network
        tail, head, secs, metres = _parallel_edges_min(net)
        n = net.nodes
        self._graph = csr_matrix((secs, (tail, head)), shape=(n, n))
        self._metre_graph = csr_matrix((metres, (tail, head)), shape=(n, n))
        _, labels = connected_components(self._graph, directed=True, connection="strong")
        biggest = np.bincount(labels).argmax()
        self._snap_nodes = np.flatnonzero(labels == biggest)
        self._lat0 = float(np.mean(net.lat)) if n else 0.0
        self._tree = cKDTree(_local_xy(net.lat[self._snap_nodes], net.lng[self._snap_nodes], self._lat0))
        self._rows = OrderedDict()

    @property
    def connected_nodes(self) -> int:
        """Nodes that points can snap to (the largest strongly connected part)."""
        return len(self._snap_nodes)

    def snap(self, coords: FloatArray) -> tuple[IntArray, FloatArray]:
        """(node index, straight metres to it) for each (lat, lng) row."""
        xy = _local_xy(coords[:, 0], coords[:, 1], self._lat0)
        dist, idx = self._tree.query(xy)
        if len(dist) and float(np.max(dist)) > self.max_snap_m:
            worst = int(np.argmax(dist))
            raise OffNetwork(
                f"({coords[worst, 0]:.5f}, {coords[worst, 1]:.5f}) is {float(dist[worst]):.0f} m from the"
                f" nearest street of the network (at most {self.max_snap_m:.0f} m)"
            )
        return self._snap_nodes[np.asarray(idx, dtype=np.int64)], np.asarray(dist, dtype=np.float64)

    def _solve_rows(self, sources: IntArray) -> None:
        seconds, pred = dijkstra(self._graph, directed=True, indices=sources, return_predecessors=True)
        metres = self._fastest_route_metres(sources, pred)
        for k, node in enumerate(sources):
            self._rows[int(node)] = (seconds[k], metres[k])
            self._rows.move_to_end(int(node))
        while len(self._rows) > self.cache_rows:
            self._rows.popitem(last=False)

    def _fastest_route_metres(self, sources: IntArray, pred: IntArray) -> FloatArray:
        """Metres along each predecessor tree's path, by pointer doubling."""
        rows, n = pred.shape
        hop = pred.copy()
        unreached = hop < 0
        hop[unreached] = np.arange(n)[np.nonzero(unreached)[1]]  # roots and unreachable point at themselves
        step = np.zeros((rows, n), dtype=np.float64)
        cols = np.broadcast_to(np.arange(n), (rows, n))
        reached = ~unreached
        step[reached] = np.asarray(self._metre_graph[hop[reached], cols[reached]]).ravel()
        step[np.arange(rows), sources] = 0.0
        row_idx = np.arange(rows)[:, None]
        while True:
            moving = hop != hop[row_idx, hop]
            if not moving.any():
                break
            step = step + np.where(moving, step[row_idx, hop], 0.0)
            hop = hop[row_idx, hop]
        return step

    def node_rows(self, sources: IntArray) -> tuple[FloatArray, FloatArray]:
        """(seconds, metres) from each source node to every node."""
        missing = np.unique([s for s in sources.tolist() if s not in self._rows])
        if len(missing):
            self._solve_rows(np.asarray(missing, dtype=np.int64))
        seconds = (
            np.vstack([self._rows[int(s)][0] for s in sources])
            if len(sources)
            else np.zeros((0, self.network.nodes))
        )
        metres = (
            np.vstack([self._rows[int(s)][1] for s in sources])
            if len(sources)
            else np.zeros((0, self.network.nodes))
        )
        return seconds, metres

    def matrices(self, origins: FloatArray, destinations: FloatArray) -> TravelMatrices:
        o_node, o_access = self.snap(np.asarray(origins, dtype=np.float64).reshape(-1, 2))
        d_node, d_access = self.snap(np.asarray(destinations, dtype=np.float64).reshape(-1, 2))
        uniq, inverse = np.unique(o_node, return_inverse=True)
        node_s, node_m = self.node_rows(uniq)
        drive_s = node_s[inverse][:, d_node]
        drive_m = node_m[inverse][:, d_node]
        access_mps = self.access_speed_kmh / 3.6
        access_m = o_access[:, None] + d_access[None, :]
        seconds = drive_s + access_m / access_mps
        metres = drive_m + access_m
        same = o_node[:, None] == d_node[None, :]
        if same.any():
            # Both ends at one junction: the straight walk between them, not a detour through it.
            o = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
            d = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
            direct = (
                _local_xy(o[:, 0], o[:, 1], self._lat0)[:, None, :]
                - _local_xy(d[:, 0], d[:, 1], self._lat0)[None, :, :]
            )
            direct_m = np.sqrt((direct**2).sum(axis=2))
            seconds = np.where(same, direct_m / access_mps, seconds)
            metres = np.where(same, direct_m, metres)
        return TravelMatrices(
            seconds=np.rint(seconds).astype(np.int64), metres=np.rint(metres).astype(np.int64)
        )

    def leg(self, origin: GeoPoint, destination: GeoPoint) -> Leg:
        m = self.matrices(coordinates([origin]), coordinates([destination]))
        return Leg(seconds=int(m.seconds[0, 0]), metres=int(m.metres[0, 0]))
