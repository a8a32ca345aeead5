"""The customer app's cookie session: the customer token from an access link, scoped to /app."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from api.web import session as web
from marketplace.auth import Principal
from marketplace.settings import Settings
from marketplace.users.models import Role

SESSION_COOKIE = "fh_app"
COOKIE_PATH = "/app"

app_session_middleware = web.cookie_session_middleware(SESSION_COOKIE)


class LinkRequired(Exception):
    """No valid customer session: the page asks for the link from the e-mail."""


class PageForbidden(Exception):
    """Signed in but not allowed (not a customer, or a missing/wrong CSRF token): a 403 page."""


def customer(request: Request[Any, Any, Any]) -> Principal:
    principal = web.page_principal(request)
    if principal is None:
        raise LinkRequired()
    if principal.role is not Role.CUSTOMER:
        raise PageForbidden("These pages are for customers.")
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


def csrf_token(settings: Settings, principal: Principal) -> str:
    return web.session_csrf(settings, principal, "app")


async def checked_form(
    request: Request[Any, Any, Any], settings: Settings, principal: Principal
) -> dict[str, str]:
    data = await web.form_with_csrf(request, csrf_token(settings, principal))
    if data is None:
        raise PageForbidden("The form's security token is missing or out of date. Reload and try again.")
    return data
