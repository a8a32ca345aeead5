"""Plotly figure specs (plain dicts) for the console's map and schedule board.

The browser draws them with the plotly.js shipped in the installed `plotly` package. With a
tile URL the map is a MapLibre `scattermap` over raster tiles; without one it is a plain
scatter of longitude/latitude (equal scale), so nothing is fetched from anywhere.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from api.web import maps
from api.web.maps import centre_of
from marketplace.assignment.board import BoardRow, OpenOrder

RISK_COLOURS = {"on_track": "#2e7d32", "at_risk": "#ef6c00", "breached": "#c62828"}
RISK_LABELS = {"on_track": "On track", "at_risk": "At risk", "breached": "Breached"}
STATUS_COLOURS = {"idle": "#1565c0", "en route": "#6a1b9a", "on site": "#00838f", "off shift": "#9e9e9e"}


def technician_status(row: BoardRow, now: datetime) -> str:
    statuses = {s.order.status for s in row.stops}
    if "on_site" in statuses:
        return "on site"
    if "en_route" in statuses:
        return "en route"
    if any(s.starts_at <= now < s.ends_at for s in row.shifts):
        return "idle"
    return "off shift"


def position(row: BoardRow) -> tuple[float, float]:
    t = row.technician
    if t.last_lat is not None and t.last_lng is not None:
        return t.last_lat, t.last_lng
    return t.home_lat, t.home_lng


def map_figure(
    rows: list[BoardRow], orders: list[OpenOrder], *, now: datetime, tile_url: str | None
) -> dict[str, Any]:
    traces: list[dict[str, Any]] = []
    route_lat: list[float | None] = []
    route_lng: list[float | None] = []
    for row in rows:
        if not row.stops:
            continue
        lat, lng = position(row)
        route_lat.append(lat)
        route_lng.append(lng)
        for stop in row.stops:
            route_lat.append(stop.order.lat)
            route_lng.append(stop.order.lng)
        route_lat.append(None)
        route_lng.append(None)
    traces.append(
        maps.points(
            route_lat, route_lng, name="Planned routes", mode="lines", line={"width": 2, "color": "#455a64"}
        )
    )
    for status, colour in STATUS_COLOURS.items():
        group = [r for r in rows if technician_status(r, now) == status]
        if not group:
            continue
        traces.append(
            maps.points(
                [position(r)[0] for r in group],
                [position(r)[1] for r in group],
                name=f"Technicians: {status}",
                mode="markers",
                marker={"size": 11, "color": colour, "symbol": "circle"},
                text=[f"{r.technician.display_name} ({status})" for r in group],
            )
        )
    for risk, colour in RISK_COLOURS.items():
        hits = [o for o in orders if o.risk == risk]
        if not hits:
            continue
        traces.append(
            maps.points(
                [o.order.lat for o in hits],
                [o.order.lng for o in hits],
                name=f"Work orders: {RISK_LABELS[risk].lower()}",
                mode="markers",
                marker={"size": 13, "color": colour, "symbol": "diamond" if tile_url is None else "circle"},
                text=[f"{o.order.summary[:60]} · {o.order.status} · {RISK_LABELS[risk]}" for o in hits],
                customdata=[str(o.order.id) for o in hits],
            )
        )
    lats = [position(r)[0] for r in rows] + [o.order.lat for o in orders]
    lngs = [position(r)[1] for r in rows] + [o.order.lng for o in orders]
    centre = centre_of(list(zip(lats, lngs, strict=True)))
    return maps.map_figure(traces, centre=centre, tile_url=tile_url, zoom=10, legend=True)


def _local(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).replace(tzinfo=None).isoformat()


def board_figure(
    rows: list[BoardRow], *, day_start: datetime, day_end: datetime, tz: tzinfo
) -> dict[str, Any]:
    names = [r.technician.display_name for r in rows]
    shifts = _bars(
        [(r.technician.display_name, s.starts_at, s.ends_at, "Shift") for r in rows for s in r.shifts],
        name="Shifts",
        colour="rgba(21,101,192,0.15)",
        width=0.8,
        tz=tz,
    )
    windows = _bars(
        [
            (
                r.technician.display_name,
                s.appointment.window_start,
                s.appointment.window_end,
                f"{s.order.summary[:60]} · {s.order.status}",
            )
            for r in rows
            for s in r.stops
        ],
        name="Visits (arrival window)",
        colour="#1565c0",
        width=0.45,
        tz=tz,
    )
    arrivals = [
        (r.technician.display_name, s.appointment.eta or s.appointment.planned_arrival)
        for r in rows
        for s in r.stops
        if (s.appointment.eta or s.appointment.planned_arrival)
    ]
    traces = [
        shifts,
        windows,
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Planned arrival",
            "y": [a[0] for a in arrivals],
            "x": [_local(a[1], tz) for a in arrivals if a[1]],
            "marker": {"symbol": "line-ns-open", "size": 16, "color": "#ef6c00", "line": {"width": 3}},
        },
    ]
    return {
        "data": traces,
        "layout": {
            "barmode": "overlay",
            "margin": {"l": 130, "r": 10, "t": 60, "b": 20},
            "height": max(240, 34 * len(names) + 80),
            # hours along the top, where a tall board's reader starts
            "xaxis": {
                "type": "date",
                "range": [_local(day_start, tz), _local(day_end, tz)],
                "side": "top",
                "tickformat": "%H:%M",
                "dtick": 3_600_000,
            },
            "yaxis": {"categoryorder": "array", "categoryarray": list(reversed(names)), "automargin": True},
            "legend": {"orientation": "h", "y": 0, "yanchor": "top"},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
        },
    }


def _bars(
    items: list[tuple[str, datetime, datetime, str]], *, name: str, colour: str, width: float, tz: tzinfo
) -> dict[str, Any]:
    return {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "y": [i[0] for i in items],
        "base": [_local(i[1], tz) for i in items],
        "x": [(i[2] - i[1]).total_seconds() * 1000 for i in items],
        "text": [i[3] for i in items],
        "hoverinfo": "text",
        "textposition": "none",
        "marker": {"color": colour},
        "width": width,
    }
