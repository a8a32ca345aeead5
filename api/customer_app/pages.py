"""Customer app pages: thin handlers that read the customer's order or call one verb."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import File, Redirect, Template

from api.customer_app import wording
from api.customer_app.pay import payment_context
from api.customer_app.session import checked_form, csrf_token, customer, session_cookie
from api.customer_app.track import LIVE, TRACKED, snapshot
from api.deps import AppSettings, DbSession, Now
from api.web.assets import asset
from marketplace.access import customers as access
from marketplace.auth import Principal, issue_token
from marketplace.bookings import service as bookings
from marketplace.bookings.models import Appointment
from marketplace.bookings.slots import SlotSearch
from marketplace.errors import DomainError, InvalidInput
from marketplace.pricing.quotes import get_quote
from marketplace.ratings.service import AlreadyReviewed, customer_review, review_visit
from marketplace.settings import Settings
from marketplace.support.service import request_human
from marketplace.timeutil import to_epoch
from marketplace.visits.eta import estimate
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.reads import OrderFilter, list_work_orders, visible_order

STATIC = Path(__file__).parent / "static"
ASSETS = {
    "app.css": "text/css",
    "app.js": "text/javascript",
    "icon.svg": "image/svg+xml",
}
BOOKABLE = (S.NEW, S.TRIAGED)
MOVABLE = (S.SCHEDULED, S.OFFERED, S.ASSIGNED)
NOTES = ("booked", "rescheduled", "cancelled", "callback", "card", "reviewed", "asked")


def render(name: str, settings: Settings, principal: Principal | None, **context: Any) -> Template:
    return Template(
        template_name=f"app/{name}",
        context={
            "csrf": csrf_token(settings, principal) if principal else "",
            "order_id": None,
            "t": wording.EN,
            **context,
        },
    )


def _window(form: dict[str, str]) -> tuple[int, int]:
    try:
        start, end = (int(part) for part in form.get("window", "").split("-", 1))
    except ValueError:
        raise InvalidInput("Choose one of the times shown.") from None
    return start, end


def _same_window(appointment: Appointment, window: tuple[int, int]) -> bool:
    return (to_epoch(appointment.window_start), to_epoch(appointment.window_end)) == window


class CustomerPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/access/{token:str}", cache_control=None)
    async def open_link(
        self,
        request: Request[Any, Any, Any],
        token: str,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """The link from the e-mail: exchanged once for a customer session cookie."""
        result = await access.exchange(db_session, settings, token, now=now)
        target = f"/app/orders/{result.work_order_id}" if result.work_order_id else "/app/"
        response: Response[Any] = Redirect(path=target, status_code=303)
        response.cookies.append(
            session_cookie(request, settings, issue_token(settings, result.user, now=now))
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @get("/orders/{order_id:uuid}")
    async def order(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        principal = customer(request)
        m = wording.messages_for(request)
        order = await visible_order(db_session, principal, order_id)
        quote = (await get_quote(db_session, principal, order_id)).quote
        appointment = await bookings.live_appointment(db_session, order.id)
        eta = await estimate(db_session, order, appointment, now=now)
        found: SlotSearch | None = None
        if order.status in BOOKABLE or (appointment is not None and order.status in MOVABLE):
            _, found = await bookings.list_slots(db_session, principal, order.id, now=now)
        tz = ZoneInfo(settings.default_timezone)
        held = appointment is not None and appointment.hold_confirm_at is not None
        cancel_fee = None
        if appointment is not None and order.status in (*MOVABLE, S.EN_ROUTE):
            fee, _free_until = bookings.cancellation_terms(principal, order, appointment, now=now)
            cancel_fee = wording.money(fee, order.currency)
        return render(
            "order.html",
            settings,
            principal,
            order=order,
            order_id=order.id,
            context=order.context or {},
            next_step=wording.next_step(
                order.status,
                eta,
                found.availability if found else None,
                found.earliest if found else None,
                tz,
                m,
            ),
            price=wording.money(quote.price_minor, quote.currency),
            fee=wording.money(quote.fee_minor, quote.currency),
            appointment=appointment,
            booked_window=wording.window(appointment.window_start, appointment.window_end, tz, m)
            if appointment
            else None,
            slots=[(f"{s.start}-{s.end}", wording.slot_label(s, tz, m), s.meets_sla) for s in found.slots]
            if found
            else [],
            rebook=appointment is not None and not held,
            held_until=wording.when(appointment.hold_confirm_at, tz, m)
            if appointment is not None and appointment.hold_confirm_at is not None
            else None,
            cancel_fee=cancel_fee,
            eta=eta,
            arrival=eta.arrival.astimezone(tz).strftime("%H:%M") if eta.arrival else None,
            note=m(f"note.{note}") if note in NOTES else None,
            status_text=wording.status(order.status, m),
            t=m,
            track=await snapshot(db_session, order, now=now, tz=tz, m=m) if order.status in TRACKED else None,
            live=order.status in LIVE,
            map_tile_url=settings.map_tile_url or "",
            review=await customer_review(db_session, order.id) if order.status == S.COMPLETED else None,
            **await payment_context(db_session, request.app.state, settings, order, m),
        )

    @post("/orders/{order_id:uuid}/appointment", status_code=303)
    async def choose_window(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        principal = customer(request)
        form = await checked_form(request, settings, principal)
        window = _window(form)
        if form.get("action") == "reschedule":
            await bookings.reschedule_appointment(db_session, principal, order_id, window, now=now)
            return Redirect(path=f"/app/orders/{order_id}?note=rescheduled", status_code=303)
        booked = await bookings.live_appointment(db_session, order_id)
        if not (booked and booked.hold_confirm_at is None and _same_window(booked, window)):
            # a second tap on "Book" for the window just booked is not an error
            await bookings.book_appointment(db_session, principal, order_id, window, now=now)
        return Redirect(path=f"/app/orders/{order_id}?note=booked", status_code=303)

    @get("/orders/{order_id:uuid}/cancel")
    async def confirm_cancel(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Template:
        """Says what cancelling would cost before anything is cancelled."""
        principal = customer(request)
        order = await visible_order(db_session, principal, order_id)
        appointment = await bookings.live_appointment(db_session, order.id)
        if appointment is None:
            raise InvalidInput("There is no booked visit to cancel.")
        fee, free_until = bookings.cancellation_terms(principal, order, appointment, now=now)
        tz = ZoneInfo(settings.default_timezone)
        m = wording.messages_for(request)
        return render(
            "cancel.html",
            settings,
            principal,
            order=order,
            order_id=order.id,
            booked_window=wording.window(appointment.window_start, appointment.window_end, tz, m),
            fee=wording.money(fee, order.currency),
            free=fee == 0,
            free_until=wording.when(free_until, tz, m),
            t=m,
        )

    @post("/orders/{order_id:uuid}/cancel", status_code=303)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        principal = customer(request)
        await checked_form(request, settings, principal)
        await bookings.cancel_appointment(
            db_session, principal, order_id, reason="cancelled in the app", now=now
        )
        return Redirect(path=f"/app/orders/{order_id}?note=cancelled", status_code=303)

    @post("/orders/{order_id:uuid}/review", status_code=303)
    async def review(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        """Rate the completed visit once; a second tap on the same form is not an error."""
        principal = customer(request)
        form = await checked_form(request, settings, principal)
        stars = form.get("stars", "")
        if stars not in ("1", "2", "3", "4", "5"):
            raise InvalidInput("Choose from one to five stars.")
        comment = form.get("comment", "").strip()[:4000] or None
        with contextlib.suppress(AlreadyReviewed):
            await review_visit(db_session, principal, order_id, stars=int(stars), comment=comment, now=now)
        return Redirect(path=f"/app/orders/{order_id}?note=reviewed", status_code=303)

    @post("/orders/{order_id:uuid}/callback", status_code=303)
    async def callback(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        """Talk to a person: a callback request for support, with the order's context."""
        principal = customer(request)
        form = await checked_form(request, settings, principal)
        await request_human(
            db_session,
            principal,
            order_id,
            reason=form.get("reason") or "Asked to talk to a person from the app",
            phone=form.get("phone") or None,
            preferred_time=None,
            now=now,
        )
        return Redirect(path=f"/app/orders/{order_id}?note=callback", status_code=303)

    @get("/")
    async def home(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Template:
        principal = customer(request)
        orders, _ = await list_work_orders(db_session, principal, OrderFilter(), cursor=None, limit=20)
        return render("home.html", settings, principal, orders=orders, t=wording.messages_for(request))

    @get("/offline")
    async def offline(self, request: Request[Any, Any, Any], settings: AppSettings) -> Template:
        return render("offline.html", settings, None, t=wording.messages_for(request))

    @get("/manifest.json")
    async def manifest(self) -> File:
        return asset(STATIC / "manifest.json", "application/manifest+json")

    @get("/sw.js")
    async def service_worker(self) -> File:
        return asset(STATIC / "sw.js", "text/javascript")

    @get("/static/{name:str}")
    async def static(self, name: str) -> File:
        if name not in ASSETS:
            raise NotFoundException()
        return asset(STATIC / name, ASSETS[name])


def error_page(status: int, title_key: str) -> Any:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        detail = exc.detail if isinstance(exc, DomainError) else str(exc)
        m = wording.messages_for(request)
        return Template(
            template_name="app/error.html",
            context={"csrf": "", "order_id": None, "title": m(title_key), "message": detail, "t": m},
            status_code=getattr(exc, "status", status),
        )

    return handler
