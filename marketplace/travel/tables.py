"""Road travel tables from an OSRM or Valhalla server over HTTP.

Both speak a many-to-many "table" request. Anything but a complete, well-formed answer in
time (connection refused, a timeout, an HTTP error, an error code, a missing or unroutable
cell) raises `TravelServiceError` with what went wrong; `FallbackTravelModel` turns that
into the straight-line model and records why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from dispatch.geo import FloatArray, IntArray


class TravelServiceError(Exception):
    """The road-table service gave no usable answer."""


def _get_json(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TravelServiceError(f"no answer from {url} in time ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise TravelServiceError(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        raise TravelServiceError(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise TravelServiceError(f"{url} answered something that is not JSON") from exc


def _complete(values: Any, rows: int, cols: int, what: str) -> FloatArray:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:  # None cells: unroutable pairs
        raise TravelServiceError(f"the {what} table has unroutable or non-numeric cells") from exc
    if array.shape != (rows, cols):
        raise TravelServiceError(f"the {what} table is {array.shape}, expected {(rows, cols)}")
    if not np.isfinite(array).all() or (array < 0).any():
        raise TravelServiceError(f"the {what} table has unroutable or negative cells")
    return array


@dataclass
class OsrmTableProvider:
    """OSRM's `/table/v1/{profile}` service (durations in s, distances in m)."""

    base_url: str
    timeout_s: float = 5.0
    profile: str = "driving"
    transport: httpx.BaseTransport | None = None

    def table(self, origins: FloatArray, destinations: FloatArray) -> tuple[IntArray, IntArray]:
        points = np.vstack([origins, destinations])
        coords = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        n, m = len(origins), len(destinations)
        params = {
            "sources": ";".join(str(i) for i in range(n)),
            "destinations": ";".join(str(n + j) for j in range(m)),
            "annotations": "duration,distance",
        }
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coords}"
        with httpx.Client(timeout=self.timeout_s, transport=self.transport) as client:
            body = _get_json(client, "GET", url, params=params)
        if not isinstance(body, dict) or body.get("code") != "Ok":
            code = body.get("code") if isinstance(body, dict) else None
            raise TravelServiceError(f"OSRM answered code {code!r}")
        seconds = _complete(body.get("durations"), n, m, "duration")
        metres = _complete(body.get("distances"), n, m, "distance")
        return np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64)


@dataclass
class ValhallaMatrixProvider:
    """Valhalla's `/sources_to_targets` service (time in s, distance in km)."""

    base_url: str
    timeout_s: float = 5.0
    costing: str = "auto"
    transport: httpx.BaseTransport | None = None

    def table(self, origins: FloatArray, destinations: FloatArray) -> tuple[IntArray, IntArray]:
        payload = {
            "sources": [{"lat": float(lat), "lon": float(lng)} for lat, lng in origins],
            "targets": [{"lat": float(lat), "lon": float(lng)} for lat, lng in destinations],
            "costing": self.costing,
        }
        url = f"{self.base_url.rstrip('/')}/sources_to_targets"
        with httpx.Client(timeout=self.timeout_s, transport=self.transport) as client:
            body = _get_json(client, "POST", url, json=payload)
        rows = body.get("sources_to_targets") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise TravelServiceError("Valhalla answered without a sources_to_targets table")
        n, m = len(origins), len(destinations)
        try:
            seconds = [[cell.get("time") for cell in row] for row in rows]
            km = [[cell.get("distance") for cell in row] for row in rows]
        except (AttributeError, TypeError) as exc:
            raise TravelServiceError("Valhalla's table cells are malformed") from exc
        s = _complete(seconds, n, m, "time")
        d = _complete(km, n, m, "distance") * 1000.0
        return np.rint(s).astype(np.int64), np.rint(d).astype(np.int64)
