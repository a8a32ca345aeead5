"""The day's route as a plotly figure: where the technician is, then each visit in order."""

from __future__ import annotations

from typing import Any

from api.web.maps import centre_of, map_figure, points

STEP_COLOURS = {"assigned": "#0b57a4", "en_route": "#6a1b9a", "on_site": "#00838f"}


def route_figure(
    start: tuple[float, float], stops: list[dict[str, Any]], *, tile_url: str | None, you: str
) -> dict[str, Any]:
    """`stops` in visiting order, each with lat, lng, number, label and status."""
    route = [start, *[(s["lat"], s["lng"]) for s in stops]]
    traces = [
        points(
            [p[0] for p in route], [p[1] for p in route], mode="lines", line={"width": 3, "color": "#486581"}
        ),
        points(
            [start[0]],
            [start[1]],
            mode="markers+text",
            marker={"size": 16, "color": "#ef6c00", "symbol": "circle"},
            text=[you],
            textposition="top center",
        ),
        points(
            [s["lat"] for s in stops],
            [s["lng"] for s in stops],
            mode="markers+text",
            marker={"size": 26, "color": [STEP_COLOURS.get(s["status"], "#0b57a4") for s in stops]},
            text=[str(s["number"]) for s in stops],
            textfont={"color": "#ffffff", "size": 15},
            hovertext=[s["label"] for s in stops],
            hoverinfo="text",
        ),
    ]
    return map_figure(traces, centre=centre_of(route), tile_url=tile_url, zoom=12)
