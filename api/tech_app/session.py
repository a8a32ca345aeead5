"""The technician app's cookie session: the API's revocable token in an HttpOnly cookie under /tech.

Signed in, every form carries an HMAC of the session's token id as its CSRF token; the
sign-in form uses a double-submit value held in a SameSite=Strict cookie.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.web import session as web
from marketplace.auth import Principal
from marketplace.settings import Settings
from marketplace.users.models import Role

SESSION = web.CookieSession(app="tech", cookie="fh_tech", path="/tech")

tech_session_middleware = SESSION.middleware()
session_cookie = SESSION.session_cookie
cleared_session_cookie = SESSION.cleared_cookie
presession_csrf = SESSION.presession_csrf
csrf_token = SESSION.csrf_token


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


async def checked_form(request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
    try:
        return await SESSION.checked_form(request, settings)
    except web.FormRefused:
        raise TechForbidden("tech.error.csrf") from None
