"""Today: the route on a map and the visits in order, one button for the next step of each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from api.tech_app.common import TechAction, TechScreen, as_json, steps_tried
from api.tech_app.route_map import route_figure
from api.tech_app.session import TechForbidden, csrf_token
from api.tech_app.tracking import location_wanted
from api.web import formats
from marketplace.errors import InvalidInput
from marketplace.technicians import location
from marketplace.technicians.service import get_technician, own_technician_id
from marketplace.visits import service
from marketplace.visits.models import VisitStepKind
from marketplace.work_orders.models import WorkOrderStatus as S

NEXT_STEPS: dict[str, tuple[VisitStepKind, ...]] = {
    S.ASSIGNED: (VisitStepKind.EN_ROUTE,),
    S.EN_ROUTE: (VisitStepKind.ON_SITE,),
    S.ON_SITE: (VisitStepKind.COMPLETED, VisitStepKind.FAILED),
}
MAX_PINGS = 100


@dataclass(frozen=True)
class VisitCard:
    id: str
    number: int
    status: str
    summary: str
    address: str | None
    window: str | None
    eta: str | None
    tried: list[str]
    notes: list[str]
    next_steps: tuple[str, ...]


class Ping(msgspec.Struct, forbid_unknown_fields=True):
    lat: float
    lng: float
    recorded_at: datetime
    accuracy_m: float | None = None


class Pings(msgspec.Struct, forbid_unknown_fields=True):
    pings: list[Ping]


def _order_key(view: service.VisitView) -> datetime:
    a = view.appointment
    return (a and (a.planned_arrival or a.window_start)) or view.order.created_at


def visit_card(number: int, view: service.VisitView, tz: ZoneInfo) -> VisitCard:
    o, a = view.order, view.appointment
    return VisitCard(
        id=str(o.id),
        number=number,
        status=o.status,
        summary=o.summary,
        address=o.address,
        window=formats.span(a.window_start, a.window_end, tz)
        if a and a.window_start and a.window_end
        else None,
        eta=formats.clock(a.eta, tz) if a and a.eta else None,
        tried=steps_tried(o.context),
        notes=[s.notes for s in view.steps if s.notes],
        next_steps=tuple(step.value for step in NEXT_STEPS.get(o.status, ())),
    )


class TodayPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/today")
    async def today(self, screen: TechScreen, note: FromQuery[str | None] = None) -> Template:
        db, principal = screen.db, screen.principal
        tech = await get_technician(db, own_technician_id(principal))
        tz = ZoneInfo(tech.timezone)
        active = await service.list_visits(db, principal, state="active", cursor=None, limit=50)
        views = sorted([await service.get_visit(db, principal, o.id) for o in active.items], key=_order_key)
        cards = [visit_card(i, v, tz) for i, v in enumerate(views, start=1)]
        done = await service.list_visits(db, principal, state="done", cursor=None, limit=5)
        start = (
            (tech.last_lat, tech.last_lng)
            if tech.last_lat is not None and tech.last_lng is not None
            else (tech.home_lat, tech.home_lng)
        )
        stops = [
            {
                "lat": v.order.lat,
                "lng": v.order.lng,
                "number": c.number,
                "label": c.summary,
                "status": c.status,
            }
            for v, c in zip(views, cards, strict=True)
        ]
        figure = route_figure(
            start, stops, tile_url=screen.settings.map_tile_url, you=screen.t("tech.today.you")
        )
        return screen.render(
            "today.html",
            tab="today",
            visits=cards,
            done=[{"summary": o.summary, "status": o.status} for o in done.items],
            figure=as_json(figure),
            note=note,
            tracking=await location_wanted(db, principal, now=screen.now),
        )

    @post("/visits/{order_id:uuid}/steps", status_code=303)
    async def step(self, action: TechAction, order_id: FromPath[uuid.UUID]) -> Redirect:
        async def verb(form: dict[str, str]) -> str:
            try:
                kind = VisitStepKind(form.get("step", ""))
            except ValueError:
                raise InvalidInput("Choose one of the steps shown.") from None
            lat, lng = _coordinates(form)
            report = service.StepReport(notes=form.get("notes", "").strip() or None, lat=lat, lng=lng)
            await service.update_visit_status(
                action.db, action.principal, order_id, kind, report, now=action.now
            )
            return f"/tech/today?note={kind.value}"

        return await action.run(verb)

    @post("/location", status_code=200)
    async def send_location(self, screen: TechScreen) -> Response[Any]:
        """A batch of positions from the page's script; dropped unless on shift or on the way."""
        if screen.request.headers.get("x-csrf-token", "") != csrf_token(screen.request, screen.settings):
            raise TechForbidden("tech.error.csrf")
        try:
            batch = msgspec.json.decode(await screen.request.body(), type=Pings)
        except msgspec.MsgspecError:
            raise InvalidInput("Send {pings: [{lat, lng, recorded_at}]}") from None
        if not await location_wanted(screen.db, screen.principal, now=screen.now):
            return Response({"tracking": False, "accepted": 0}, status_code=409)
        pings = [
            location.Ping(p.lat, p.lng, p.recorded_at.astimezone(UTC), p.accuracy_m)
            for p in batch.pings[-MAX_PINGS:]
            if p.recorded_at.tzinfo is not None and -90 <= p.lat <= 90 and -180 <= p.lng <= 180
        ]
        result = (
            await location.record_pings(screen.db, screen.principal, pings, now=screen.now) if pings else None
        )
        return Response({"tracking": True, "accepted": result.accepted if result else 0})


def _coordinates(form: dict[str, str]) -> tuple[float | None, float | None]:
    try:
        lat, lng = float(form["lat"]), float(form["lng"])
    except (KeyError, ValueError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None
    return lat, lng
