"""Console sign-in: the API's signed, revocable token carried in an HttpOnly cookie, plus CSRF.

The cookie is read only under /console (the JSON API keeps bearer tokens, so a browser's
cookie never authorises an API call). Every console form carries a CSRF token: while signed
in it is an HMAC of the session's token id (it changes with each sign-in and dies with it);
on the sign-in form it is a double-submit value also held in a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.types import ASGIApp, Receive, Scope, Send

from marketplace.auth import PRINCIPAL_SCOPE_KEY, Principal, principal_from_token
from marketplace.errors import Unauthenticated
from marketplace.sessions import check_session
from marketplace.settings import Settings
from marketplace.users.models import Role

SESSION_COOKIE = "fh_console"
PRESESSION_CSRF_COOKIE = "fh_console_csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
COOKIE_PATH = "/console"
STAFF_ROLES = (Role.DISPATCHER, Role.AGENT, Role.ADMIN)


class SignInRequired(Exception):
    """No valid console session: the browser is sent to the sign-in page."""


class ConsoleForbidden(Exception):
    """Signed in, but not allowed here (wrong role, missing or wrong CSRF token): a 403 page."""


def _cookie_value(scope: Scope, name: str) -> str | None:
    raw = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def console_session_middleware(app: ASGIApp) -> ASGIApp:
    """Attach the principal of a still-valid console cookie (same checks as a bearer token)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get(PRINCIPAL_SCOPE_KEY) is None:
            token = _cookie_value(scope, SESSION_COOKIE)
            if token:
                state: Any = scope["app"].state
                try:
                    principal = principal_from_token(state.settings, token)
                    scope[PRINCIPAL_SCOPE_KEY] = await check_session(state.engine, principal)  # type: ignore[literal-required]
                except Unauthenticated:
                    scope[PRINCIPAL_SCOPE_KEY] = None  # type: ignore[literal-required]
        await app(scope, receive, send)

    return middleware


def console_principal(request: Request[Any, Any, Any]) -> Principal | None:
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)  # type: ignore[misc]
    return principal if isinstance(principal, Principal) else None


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


def _secure(request: Request[Any, Any, Any], settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_url.startswith("https://")


def session_cookie(request: Request[Any, Any, Any], settings: Settings, token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        max_age=settings.access_token_ttl_s,
    )


def cleared_session_cookie(request: Request[Any, Any, Any], settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        max_age=0,
    )


def presession_csrf(request: Request[Any, Any, Any], settings: Settings) -> tuple[str, Cookie | None]:
    """The sign-in form's double-submit token (and the cookie to set when it is new)."""
    existing = request.cookies.get(PRESESSION_CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing, None
    value = secrets.token_urlsafe(32)
    return value, Cookie(
        key=PRESESSION_CSRF_COOKIE,
        value=value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )


def session_csrf(settings: Settings, principal: Principal) -> str:
    message = f"console-csrf|{principal.token_id}".encode()
    return hmac.new(settings.jwt_secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_token(request: Request[Any, Any, Any], settings: Settings) -> str:
    principal = console_principal(request)
    if principal is not None:
        return session_csrf(settings, principal)
    return request.cookies.get(PRESESSION_CSRF_COOKIE, "")


async def checked_form(request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
    """The posted form, after checking its CSRF token (403 page when missing or wrong)."""
    form = await request.form()
    data = {k: str(v) for k, v in form.items()}
    sent = data.pop(CSRF_FIELD, "") or request.headers.get(CSRF_HEADER, "")
    expected = csrf_token(request, settings)
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ConsoleForbidden("The form's security token is missing or out of date. Reload and try again.")
    return data
