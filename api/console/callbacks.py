"""The agents' callback queue: call the customer, then resolve with what was agreed."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.console.pages import STAFF, page
from api.console.session import checked_form, redirect_with_note, required_text, signed_in_principal
from api.deps import AppSettings, DbSession, Now
from marketplace.support.callback_queue import agree_outcome, callback_queue
from marketplace.support.service import resolve_callback

NOTES = {
    "resolved": "Callback resolved; the outcome is on the work order's timeline.",
    "agreed": "Agreed outcome saved; the work order is back with dispatch.",
}


def _outcome(form: dict[str, str]) -> str:
    return required_text(form, "outcome", missing="Write down what was agreed on the call.", max_length=2000)


class CallbackPages(Controller):
    path = "/callbacks"
    include_in_schema = False

    @get("", guards=[STAFF])
    async def queue(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        found = await callback_queue(db_session, signed_in_principal(request))
        return page(request, settings, "callbacks.html", queue=found, note=NOTES.get(note or ""))

    @post("/{callback_id:uuid}/resolve", status_code=303, guards=[STAFF])
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        callback_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        outcome = _outcome(await checked_form(request, settings))
        await resolve_callback(
            db_session, signed_in_principal(request), callback_id, outcome=outcome, now=now
        )
        return redirect_with_note("/console/callbacks", "resolved")

    @post("/work-orders/{work_order_id:uuid}", status_code=303, guards=[STAFF])
    async def agree(
        self,
        request: Request[Any, Any, Any],
        work_order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        outcome = _outcome(await checked_form(request, settings))
        await agree_outcome(db_session, signed_in_principal(request), work_order_id, outcome=outcome, now=now)
        return redirect_with_note("/console/callbacks", "agreed")
