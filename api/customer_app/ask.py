"""Asking for a new visit from /app: triage first (a known remote fix is offered before
anything is booked, with "I still need a visit"), then the new order's page with its slots."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.customer_app.session import checked_form, csrf_token, customer
from api.customer_app.wording import messages_for
from api.deps import AppSettings, DbSession, Now
from marketplace.auth import Principal
from marketplace.catalog.service import list_categories
from marketplace.errors import InvalidInput
from marketplace.work_orders.intake import EscalationOutcome
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.reads import OrderFilter, list_work_orders
from marketplace.work_orders.self_service import VisitRequest, request_visit


async def last_order(session: AsyncSession, principal: Principal) -> WorkOrder | None:
    """The customer's newest order: where they were visited last (the new visit's address)."""
    rows, _ = await list_work_orders(session, principal, OrderFilter(), cursor=None, limit=1)
    return rows[0] if rows else None


REQUEST_KEY = re.compile(r"^[0-9a-f]{32}$")


def _request(form: dict[str, str], place: WorkOrder | None, *, insist: bool) -> VisitRequest:
    category = form.get("category", "").strip()
    request_key = form.get("request_key", "")
    if not REQUEST_KEY.match(request_key):
        raise InvalidInput("This form is out of date; please open it again.")
    description = form.get("description", "").strip().replace("\x00", "")
    if not category or not description:
        raise InvalidInput("Choose what is wrong and tell us a little about it.")
    if place is None:
        raise InvalidInput("We don't have your address yet; please call support for a first visit.")
    return VisitRequest(
        category=category,
        description=description[:2000],
        lat=place.lat,
        lng=place.lng,
        address=place.address,
        insist_on_visit=insist,
        request_key=request_key,
    )


class AskPages(Controller):
    path = "/new"
    include_in_schema = False

    @get("")
    async def form(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Template:
        principal = customer(request)
        place = await last_order(db_session, principal)
        categories = [(c.code, c.name) for c in await list_categories(db_session)]
        return Template(
            template_name="app/new.html",
            context={
                "csrf": csrf_token(settings, principal),
                "order_id": place.id if place else None,
                "t": messages_for(request),
                "categories": categories,
                "place": place,
                "request_key": uuid.uuid4().hex,  # one key per form: sent twice, one order
            },
        )

    @post("", status_code=303)
    async def ask(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Template | Redirect:
        """Triage: a remote fix is shown first; otherwise (or when insisted) the order is opened."""
        principal = customer(request)
        form = await checked_form(request, settings, principal)
        place = await last_order(db_session, principal)
        visit = _request(form, place, insist=form.get("insist") == "1")
        result = await request_visit(db_session, principal, visit, now=now)
        if result.outcome is EscalationOutcome.RESOLVE_REMOTELY or result.order is None:
            return Template(
                template_name="app/triage.html",
                context={
                    "csrf": csrf_token(settings, principal),
                    "order_id": place.id if place else None,
                    "t": messages_for(request),
                    "hint": result.knowledge_base_hint,
                    "category": visit.category,
                    "description": visit.description,
                    "request_key": visit.request_key,
                },
                status_code=200,
            )
        return Redirect(path=f"/app/orders/{result.order.id}?note=asked", status_code=303)
