"""Console work-order pages: the order itself, its ranked candidates, and what staff do with
it (offer to a chosen technician, release, expedite). Each action is one service verb; the
verbs check role and state themselves, the route guards check role again."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.console.pages import DISPATCH, STAFF, page
from api.console.session import checked_form, redirect_with_note, required_text, signed_in_principal
from api.deps import AppSettings, DbSession, Now
from marketplace.assignment.candidates import candidates_for
from marketplace.assignment.chosen_offer import offer_to_chosen
from marketplace.assignment.replan import release_assignment
from marketplace.errors import InvalidInput
from marketplace.support.order_file import order_file
from marketplace.users.models import Role
from marketplace.work_orders import expedite
from marketplace.work_orders.state import lock_work_order

NOTES = {
    "offered": "Offer sent. The technician has it on their phone now.",
    "assigned": "Assigned: the technician takes work automatically, so the job is theirs.",
    "already": "That technician already has this work order offered or assigned.",
    "released": "Released: the order is back with dispatch, without that technician.",
    "not-released": "Nothing to release: the visit has started or nobody holds it.",
    "expedited": "Expedited to P1: dispatch runs for it now.",
}


def _reason(form: dict[str, str]) -> str:
    return required_text(
        form, "reason", missing="Give a reason: it goes on the order's timeline.", max_length=500
    )


def _to_order(order_id: uuid.UUID, note: str) -> Redirect:
    return redirect_with_note(f"/console/work-orders/{order_id}", note)


class WorkOrderPages(Controller):
    path = "/work-orders"
    include_in_schema = False

    @get("/{work_order_id:uuid}", guards=[STAFF])
    async def work_order_page(
        self,
        request: Request[Any, Any, Any],
        work_order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        principal = signed_in_principal(request)
        file = await order_file(db_session, principal, work_order_id, now=now)
        return page(
            request,
            settings,
            "work_order.html",
            file=file,
            order=file.order,
            appointment=file.appointment,
            eta=file.eta,
            note=NOTES.get(note or ""),
            dispatcher=principal.role in (Role.DISPATCHER, Role.ADMIN),
            may_expedite=expedite.may_expedite(principal),  # the form only for whom the verb accepts
        )

    @get("/{work_order_id:uuid}/candidates", guards=[DISPATCH])
    async def candidates_page(
        self,
        request: Request[Any, Any, Any],
        work_order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Template:
        principal = signed_in_principal(request)
        found = await candidates_for(db_session, principal, work_order_id, now=now)
        return page(request, settings, "candidates.html", found=found, order=found.order, now=now)

    @post("/{work_order_id:uuid}/offers", status_code=303, guards=[DISPATCH])
    async def offer(
        self,
        request: Request[Any, Any, Any],
        work_order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        form = await checked_form(request, settings)
        principal = signed_in_principal(request)
        try:
            technician_id = uuid.UUID(form.get("technician_id", ""))
        except ValueError as exc:
            raise InvalidInput("Choose a technician from the list") from exc
        chosen = await offer_to_chosen(db_session, principal, work_order_id, technician_id, now=now)
        note = "already" if not chosen.created else ("assigned" if chosen.assigned else "offered")
        return _to_order(work_order_id, note)

    @post("/{work_order_id:uuid}/release", status_code=303, guards=[DISPATCH])
    async def release(
        self,
        request: Request[Any, Any, Any],
        work_order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        reason = _reason(await checked_form(request, settings))
        order = await lock_work_order(db_session, work_order_id)
        released = await release_assignment(db_session, order, reason=reason, now=now)
        return _to_order(work_order_id, "released" if released else "not-released")

    @post("/{work_order_id:uuid}/expedite", status_code=303, guards=[STAFF])
    async def expedite(
        self,
        request: Request[Any, Any, Any],
        work_order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        reason = _reason(await checked_form(request, settings))
        principal = signed_in_principal(request)
        await expedite.expedite_work_order(db_session, principal, work_order_id, reason=reason, now=now)
        return _to_order(work_order_id, "expedited")
