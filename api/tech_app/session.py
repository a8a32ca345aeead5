"""The technician app's cookie session: the API's revocable token in an HttpOnly cookie under /tech.

Signed in, every form carries an HMAC of the session's token id as its CSRF token; the
sign-in form uses a double-submit value held in a SameSite=Strict cookie.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from api.web import session as web
from marketplace.auth import Principal
from marketplace.settings import Settings
from marketplace.users.models import Role

SESSION_COOKIE = "fh_tech"
PRESESSION_CSRF_COOKIE = "fh_tech_csrf"
COOKIE_PATH = "/tech"

tech_session_middleware = web.cookie_session_middleware(SESSION_COOKIE)


class SignInRequired(Exception):
    """No valid technician session: the browser goes to the sign-in page."""


class TechForbidden(Exception):
    """Signed in but not allowed here (not a technician, or a missing/wrong CSRF token)."""


def signed_in_principal(request: Request[Any, Any, Any]) -> Principal | None:
    return web.page_principal(request)


def technician(request: Request[Any, Any, Any]) -> Principal:
    principal = web.page_principal(request)
    if principal is None:
        raise SignInRequired()
    if principal.role is not Role.TECHNICIAN:
        raise TechForbidden("tech.error.not_technician")
    return principal


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
    return web.presession_csrf(request, settings, cookie_name=PRESESSION_CSRF_COOKIE, path=COOKIE_PATH)


def csrf_token(request: Request[Any, Any, Any], settings: Settings) -> str:
    principal = web.page_principal(request)
    if principal is not None:
        return web.session_csrf(settings, principal, "tech")
    return request.cookies.get(PRESESSION_CSRF_COOKIE, "")


async def checked_form(request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
    """The posted form without its CSRF field (403 page when the token is missing or wrong)."""
    data = await web.form_with_csrf(request, csrf_token(request, settings))
    if data is None:
        raise TechForbidden("tech.error.csrf")
    return data
