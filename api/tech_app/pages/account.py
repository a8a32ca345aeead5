"""Signing in and out: the technician's e-mail and password give a revocable cookie session."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from api.deps import AppSettings, DbSession, Now
from api.tech_app.common import page
from api.tech_app.session import (
    checked_form,
    cleared_session_cookie,
    presession_csrf,
    session_cookie,
    signed_in_principal,
    technician,
)
from marketplace import sessions
from marketplace.auth import authenticate, issue_token
from marketplace.errors import Unauthenticated
from marketplace.sessions import readable_while_suspended
from marketplace.users.models import Role

HOME = "/tech/offers"


def _sign_in_page(
    request: Request[Any, Any, Any],
    settings: Any,
    error: str | None,
    status: int,
    *,
    signed_out: FromQuery[bool] = False,
) -> Template:
    token, cookie = presession_csrf(request, settings)
    response = page(
        request, settings, "sign_in.html", status=status, csrf=token, error=error, signed_out=signed_out
    )
    if cookie is not None:
        response.cookies.append(cookie)
    return response


class AccountPages(Controller):
    path = "/"
    include_in_schema = False
    opt = readable_while_suspended()

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        principal = signed_in_principal(request)
        return Redirect(path=HOME if principal is not None else "/tech/sign-in")

    @get("/sign-in")
    async def sign_in_form(
        self, request: Request[Any, Any, Any], settings: AppSettings, signed_out: FromQuery[bool] = False
    ) -> Template:
        return _sign_in_page(request, settings, None, 200, signed_out=signed_out)

    @post("/sign-in", status_code=303)
    async def sign_in(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        form = await checked_form(request, settings)
        try:
            user = await authenticate(db_session, form.get("email", ""), form.get("password", ""))
        except Unauthenticated:
            return _sign_in_page(request, settings, "tech.sign_in.wrong", 401)
        if user.role != Role.TECHNICIAN:
            return _sign_in_page(request, settings, "tech.sign_in.not_technician", 403)
        redirect = Redirect(path=HOME, status_code=303)
        redirect.cookies.append(session_cookie(request, settings, issue_token(settings, user, now=now)))
        return redirect

    @post("/sign-out", status_code=303)
    async def sign_out(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Redirect:
        principal = technician(request)
        await checked_form(request, settings)
        await sessions.sign_out(db_session, principal, now)
        redirect = Redirect(path="/tech/sign-in?signed_out=1", status_code=303)
        redirect.cookies.append(cleared_session_cookie(request, settings))
        return redirect
