"""Map figures for plotly.js (plain dicts), shared by the apps that draw one.

With a raster tile URL the traces become MapLibre `scattermap` traces over those tiles;
without one they stay a plain scatter of longitude against latitude at equal scale, so a
map never needs anything from outside the server.
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_CENTRE = (52.37, 4.90)


def points(lat: list[Any], lng: list[Any], **kw: Any) -> dict[str, Any]:
    trace = {"type": "scatter", "x": lng, "y": lat, "hoverinfo": "text" if "text" in kw else "name", **kw}
    return trace


def map_figure(
    traces: list[dict[str, Any]],
    *,
    centre: tuple[float, float],
    tile_url: str | None,
    zoom: int = 11,
    legend: bool = False,
) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": legend,
        "paper_bgcolor": "#f7f8fa",
        "hovermode": "closest",
        "dragmode": "pan",
    }
    if legend:
        layout["legend"] = {"orientation": "h", "y": -0.02, "yanchor": "top"}
    if tile_url:
        for trace in traces:
            trace["type"] = "scattermap"
            trace["lat"], trace["lon"] = trace.pop("y"), trace.pop("x")
        layout["map"] = {
            "style": {
                "version": 8,
                "sources": {"tiles": {"type": "raster", "tiles": [tile_url], "tileSize": 256}},
                "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}],
            },
            "center": {"lat": centre[0], "lon": centre[1]},
            "zoom": zoom,
        }
    else:
        layout["plot_bgcolor"] = "#e8edf2"
        layout["xaxis"] = {"visible": False}
        layout["yaxis"] = {
            "visible": False,
            "scaleanchor": "x",
            "scaleratio": 1 / max(math.cos(math.radians(centre[0])), 0.1),
        }
    return {"data": traces, "layout": layout}


def centre_of(places: list[tuple[float, float]]) -> tuple[float, float]:
    if not places:
        return DEFAULT_CENTRE
    return sum(p[0] for p in places) / len(places), sum(p[1] for p in places) / len(places)
