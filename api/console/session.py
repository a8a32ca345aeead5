"""Console sign-in: the API's signed, revocable token carried in an HttpOnly cookie, plus CSRF.

The cookie is read only under /console (the JSON API keeps bearer tokens, so a browser's
cookie never authorises an API call). Every console form carries a CSRF token: while signed
in it is an HMAC of the session's token id (it changes with each sign-in and dies with it);
on the sign-in form it is a double-submit value also held in a cookie.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect

from api.web import session as web
from marketplace.auth import PRINCIPAL_SCOPE_KEY, Principal
from marketplace.errors import InvalidInput
from marketplace.settings import Settings
from marketplace.users.models import Role

SESSION_COOKIE = "fh_console"
PRESESSION_CSRF_COOKIE = "fh_console_csrf"
COOKIE_PATH = "/console"
STAFF_ROLES = (Role.DISPATCHER, Role.AGENT, Role.ADMIN)


class SignInRequired(Exception):
    """No valid console session: the browser is sent to the sign-in page."""


class ConsoleForbidden(Exception):
    """Signed in, but not allowed here (wrong role, missing or wrong CSRF token): a 403 page."""


console_session_middleware = web.cookie_session_middleware(SESSION_COOKIE)


def console_principal(request: Request[Any, Any, Any]) -> Principal | None:
    return web.page_principal(request)


def signed_in_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal of a page behind a console guard (anonymous never gets this far)."""
    principal = web.page_principal(request)
    if principal is None:
        raise SignInRequired()
    return principal


def console_requires(*roles: Role) -> Any:
    """A route guard for pages: anonymous -> sign-in page; another role -> 403 page."""

    def guard(connection: Any, _handler: Any) -> None:
        principal = connection.scope.get(PRINCIPAL_SCOPE_KEY)
        if not isinstance(principal, Principal):
            raise SignInRequired()
        if principal.role not in roles:
            raise ConsoleForbidden(
                f"This screen is for: {', '.join(r.value for r in roles)}. You are signed in as "
                f"{principal.role.value}."
            )

    return guard


def session_cookie(request: Request[Any, Any, Any], settings: Settings, token: str) -> Cookie:
    return web.http_only_cookie(
        request,
        settings,
        name=SESSION_COOKIE,
        value=token,
        path=COOKIE_PATH,
        max_age=settings.access_token_ttl_s,
    )


def cleared_session_cookie(request: Request[Any, Any, Any], settings: Settings) -> Cookie:
    return web.http_only_cookie(request, settings, name=SESSION_COOKIE, value="", path=COOKIE_PATH, max_age=0)


def presession_csrf(request: Request[Any, Any, Any], settings: Settings) -> tuple[str, Cookie | None]:
    """The sign-in form's double-submit token (and the cookie to set when it is new)."""
    existing = request.cookies.get(PRESESSION_CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing, None
    value = secrets.token_urlsafe(32)
    return value, web.http_only_cookie(
        request,
        settings,
        name=PRESESSION_CSRF_COOKIE,
        value=value,
        path=COOKIE_PATH,
        max_age=None,
        samesite="strict",
    )


def session_csrf(settings: Settings, principal: Principal) -> str:
    return web.session_csrf(settings, principal, "console")


def csrf_token(request: Request[Any, Any, Any], settings: Settings) -> str:
    principal = console_principal(request)
    if principal is not None:
        return session_csrf(settings, principal)
    return request.cookies.get(PRESESSION_CSRF_COOKIE, "")


async def checked_form(request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
    """The posted form, after checking its CSRF token (403 page when missing or wrong)."""
    data = await web.form_with_csrf(request, csrf_token(request, settings))
    if data is None:
        raise ConsoleForbidden("The form's security token is missing or out of date. Reload and try again.")
    return data


def required_text(form: dict[str, str], field: str, *, missing: str, max_length: int) -> str:
    """A free-text field the action cannot do without (422 page with `missing` when blank)."""
    value = form.get(field, "").strip()
    if not value:
        raise InvalidInput(missing)
    return value[:max_length]


def redirect_with_note(path: str, note: str) -> Redirect:
    """After an action: back to `path`, which shows the note named `note`."""
    return Redirect(path=path, query_params={"note": note}, status_code=303)
