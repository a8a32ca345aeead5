"""Console pages: thin handlers that check the role, call one read or verb, render a template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import File, Redirect, ServerSentEvent, Template

from api.console.alerts import alert_stream, feed_of
from api.console.figures import RISK_LABELS, board_figure, map_figure
from api.console.session import (
    STAFF_ROLES,
    checked_form,
    cleared_session_cookie,
    console_principal,
    console_requires,
    csrf_token,
    presession_csrf,
    session_cookie,
)
from api.deps import AppSettings, DbSession, Now
from api.web import assets
from marketplace import sessions
from marketplace.assignment import batch, board
from marketplace.assignment.config import load_config
from marketplace.assignment.console import sla_alerts
from marketplace.assignment.horizon import region_zone
from marketplace.auth import authenticate, issue_token
from marketplace.errors import InvalidInput, Unauthenticated
from marketplace.settings import Settings
from marketplace.users.models import Role
from marketplace.work_orders.escalation import escalate_ticket
from marketplace.work_orders.intake import CustomerRef, Escalation, TicketContext

DISPATCH = console_requires(Role.DISPATCHER, Role.ADMIN)
AGENT = console_requires(Role.AGENT)
ADMIN = console_requires(Role.ADMIN)
STAFF = console_requires(*STAFF_ROLES)
HOME = {Role.DISPATCHER: "/console/map", Role.AGENT: "/console/desk", Role.ADMIN: "/console/admin"}
STATIC = Path(__file__).parent / "static"
DASH = "\u2013"  # en dash, between the two ends of a time range


def page(request: Request[Any, Any, Any], settings: Settings, name: str, **context: Any) -> Template:
    principal = console_principal(request)
    return Template(
        template_name=name,
        context={
            "principal": principal,
            "csrf": csrf_token(request, settings),
            "path": request.url.path,
            "risk_labels": RISK_LABELS,
            **context,
        },
    )


def as_json(value: Any) -> str:
    """JSON safe to embed in a <script type="application/json"> element."""
    return msgspec.json.encode(value).decode().replace("</", "<\\/")


async def _day(
    db_session: Any,
    settings: Settings,
    region: str,
    now: datetime,
    day: date | None = None,
    *,
    with_orders: bool = True,
) -> dict[str, Any]:
    """The region's working day (06:00-22:00 in its zone): today unless `day` names another,
    since dispatch plans today and tomorrow."""
    tz = region_zone(region, config=load_config(), settings=settings)
    today = now.astimezone(tz).date()
    shown = day or today
    day_start = datetime.combine(shown, time(6), tzinfo=tz)
    day_end = day_start + timedelta(hours=16)
    rows = await board.board(db_session, region, now=now, day_start=day_start, day_end=day_end)
    orders = await board.open_orders(db_session, region, now=now) if with_orders else []
    return {
        "region": region,
        "regions": await board.regions(db_session) or [region],
        "rows": rows,
        "orders": orders,
        "tz": tz,
        "day_start": day_start,
        "day_end": day_end,
        "day": shown,
        "today": today,
        "tomorrow": today + timedelta(days=1),
    }


BOARD_PAGE_SIZE = 40


@dataclass(frozen=True)
class BoardPage:
    """One page of the board's technicians, by name: a region of hundreds is read a screenful
    at a time, and the browser draws only what is on the page."""

    rows: list[board.BoardRow]
    number: int
    pages: int
    first: int
    last: int
    total: int


def board_page_of(rows: list[board.BoardRow], number: int, size: int = BOARD_PAGE_SIZE) -> BoardPage:
    ordered = sorted(rows, key=lambda r: (r.technician.display_name.casefold(), str(r.technician.id)))
    pages = max(1, -(-len(ordered) // size))
    number = min(number, pages)
    chunk = ordered[(number - 1) * size : number * size]
    first = (number - 1) * size + 1 if chunk else 0
    return BoardPage(chunk, number, pages, first, first + len(chunk) - 1 if chunk else 0, len(ordered))


def board_table(rows: list[board.BoardRow], tz: tzinfo) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """The board as text for its table: technician, shifts, and each visit's (id, status,
    label). Formatted here once, since a big region has thousands of visits."""

    def hm(at: datetime) -> str:
        return at.astimezone(tz).strftime("%H:%M")

    return [
        (
            r.technician.display_name,
            " ".join(f"{hm(s.starts_at)}{DASH}{hm(s.ends_at)}" for s in r.shifts),
            [
                (
                    str(v.order.id),
                    v.order.status,
                    f"{v.order.summary[:40]} · {hm(v.appointment.window_start)}{DASH}"
                    f"{hm(v.appointment.window_end)} · {v.order.status}",
                )
                for v in r.stops
            ],
        )
        for r in rows
    ]


class ConsolePages(Controller):
    path = "/"
    include_in_schema = False

    @get("/sign-in")
    async def sign_in_form(self, request: Request[Any, Any, Any], settings: AppSettings) -> Template:
        token, cookie = presession_csrf(request, settings)
        response = Template(
            template_name="sign_in.html",
            context={"principal": None, "csrf": token, "error": None, "path": request.url.path},
        )
        if cookie is not None:
            response.cookies.append(cookie)
        return response

    @post("/sign-in", status_code=303)
    async def sign_in(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        form = await checked_form(request, settings)
        try:
            user = await authenticate(db_session, form.get("email", ""), form.get("password", ""))
        except Unauthenticated:
            return _sign_in_again(request, settings, "Wrong email or password.", 401)
        role = Role(user.role)
        if role not in STAFF_ROLES:
            return _sign_in_again(request, settings, "The console is for staff accounts.", 403)
        redirect = Redirect(path=HOME[role], status_code=303)
        redirect.cookies.append(session_cookie(request, settings, issue_token(settings, user, now=now)))
        return redirect

    @post("/sign-out", status_code=303, guards=[STAFF])
    async def sign_out(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Redirect:
        await checked_form(request, settings)
        principal = console_principal(request)
        assert principal is not None
        await sessions.sign_out(db_session, principal, now)
        redirect = Redirect(path="/console/sign-in", status_code=303)
        redirect.cookies.append(cleared_session_cookie(request, settings))
        return redirect

    @get("/", guards=[STAFF])
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        principal = console_principal(request)
        assert principal is not None
        return Redirect(path=HOME[principal.role])

    @get("/map", guards=[DISPATCH])
    async def map_page(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        region: str | None = None,
        day: date | None = None,
    ) -> Template:
        region = region or settings.console_region
        shown = await _day(db_session, settings, region, now, day)
        figure = map_figure(shown["rows"], shown["orders"], now=now, tile_url=settings.map_tile_url)
        return page(request, settings, "map.html", figure=as_json(figure), now=now, **shown)

    @get("/board", guards=[DISPATCH])
    async def board_page(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        region: str | None = None,
        ran: str | None = None,
        day: date | None = None,
        rows_page: Annotated[int, Parameter(query="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        region = region or settings.console_region
        shown = await _day(db_session, settings, region, now, day, with_orders=False)
        paged = board_page_of(shown.pop("rows"), rows_page)
        figure = board_figure(
            paged.rows, day_start=shown["day_start"], day_end=shown["day_end"], tz=shown["tz"]
        )
        table = board_table(paged.rows, shown["tz"])
        return page(
            request,
            settings,
            "board.html",
            figure=as_json(figure),
            table=table,
            paged=paged,
            ran=ran,
            now=now,
            **shown,
        )

    @get("/queue", guards=[DISPATCH])
    async def queue_page(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        region: str | None = None,
    ) -> Template:
        region = region or settings.console_region
        orders = board.queue(await board.open_orders(db_session, region, now=now))
        alerts = await sla_alerts(db_session, limit=20)
        return page(
            request,
            settings,
            "queue.html",
            region=region,
            regions=await board.regions(db_session) or [region],
            orders=orders,
            alerts=alerts,
        )

    @post("/regions/{region:str}/dispatch", status_code=303, guards=[DISPATCH])
    async def run_dispatch(
        self,
        request: Request[Any, Any, Any],
        region: str,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        await checked_form(request, settings)
        principal = console_principal(request)
        assert principal is not None
        summary = await batch.run_region(
            db_session,
            region,
            settings=settings,
            config=load_config(),
            trigger=f"console:{principal.key}",
            now=now,
        )
        ran = summary.skipped or (
            f"{summary.auto_assigned} assigned, {summary.offered} offered, {summary.unplaced} unplaced"
        )
        return Redirect(path="/console/board", query_params={"region": region, "ran": ran}, status_code=303)

    @get("/desk", guards=[AGENT])
    async def desk(self, request: Request[Any, Any, Any], settings: AppSettings) -> Template:
        return page(request, settings, "desk.html", error=None, form={})

    @post("/desk", status_code=303, guards=[AGENT])
    async def escalate(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        form = await checked_form(request, settings)
        principal = console_principal(request)
        try:
            escalation = _escalation(form)
            result = await escalate_ticket(db_session, escalation, actor=principal, now=now)
        except (InvalidInput, ValueError) as exc:
            return page(request, settings, "desk.html", error=str(exc), form=form)
        if result.order is None:
            return page(
                request, settings, "desk.html", error=None, form=form, hint=result.knowledge_base_hint
            )
        return Redirect(path=f"/console/work-orders/{result.order.id}", status_code=303)

    @get("/admin", guards=[ADMIN])
    async def admin(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Template:
        return page(request, settings, "admin.html", regions=await board.regions(db_session))

    @get("/events", guards=[STAFF])
    async def events(self, request: Request[Any, Any, Any]) -> ServerSentEvent:
        return ServerSentEvent(
            alert_stream(feed_of(request.app.state)), headers={"Cache-Control": "no-store"}
        )

    @get("/static/plotly.min.js")
    async def plotly_js(self) -> File:
        return assets.plotly_js()

    @get("/static/{name:str}")
    async def static(self, name: str) -> File:
        allowed = {"console.css": "text/css", "console.js": "text/javascript"}
        if name not in allowed:
            raise NotFoundException()
        return assets.asset(STATIC / name, allowed[name])


def _escalation(form: dict[str, str]) -> Escalation:
    def need(key: str) -> str:
        value = form.get(key, "").strip()
        if not value:
            raise InvalidInput(f"Fill in: {key.replace('_', ' ')}")
        return value

    steps = tuple(s.strip() for s in form.get("steps_tried", "").splitlines() if s.strip())
    return Escalation(
        helpdesk="console",
        ticket_id=need("ticket_id"),
        customer=CustomerRef(
            external_id=need("customer_ref"),
            name=need("customer_name"),
            email=form.get("customer_email") or None,
            tier=form.get("tier") or "standard",
        ),
        summary=need("summary"),
        context=TicketContext(
            transcript_excerpt=form.get("transcript") or None,
            steps_tried=steps,
            notes=form.get("notes") or None,
        ),
        lat=float(need("lat")),
        lng=float(need("lng")),
        address=form.get("address") or None,
        category=form.get("category") or None,
        priority=int(form["priority"]) if form.get("priority") else None,
    )


def _sign_in_again(request: Request[Any, Any, Any], settings: Any, error: str, status: int) -> Template:
    """The sign-in form again, with what went wrong."""
    context = {
        "principal": None,
        "csrf": csrf_token(request, settings),
        "error": error,
        "path": request.url.path,
    }
    return Template(template_name="sign_in.html", context=context, status_code=status)
