"""Cookie sessions for server-rendered pages: the API's signed token in an HttpOnly cookie.

Each app reads only its own cookie, scoped to its own path, so a browser cookie never
authorises a JSON API call (those keep bearer tokens). Forms carry a CSRF token: an HMAC of
the session's token id and the app's name, so it changes with each sign-in and dies with it.
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

CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"


def cookie_value(scope: Scope, name: str) -> str | None:
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


def cookie_session_middleware(cookie_name: str) -> Any:
    """Middleware attaching the principal of a still-valid `cookie_name` cookie (same checks
    as a bearer token); an invalid or revoked one leaves the request anonymous."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope.get(PRINCIPAL_SCOPE_KEY) is None:
                token = cookie_value(scope, cookie_name)
                if token:
                    state: Any = scope["app"].state
                    try:
                        principal = principal_from_token(state.settings, token)
                        scope[PRINCIPAL_SCOPE_KEY] = await check_session(state.engine, principal)  # type: ignore[literal-required]
                    except Unauthenticated:
                        scope[PRINCIPAL_SCOPE_KEY] = None  # type: ignore[literal-required]
            await app(scope, receive, send)

        return middleware

    return factory


def page_principal(request: Request[Any, Any, Any]) -> Principal | None:
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)  # type: ignore[misc]
    return principal if isinstance(principal, Principal) else None


def is_secure(request: Request[Any, Any, Any], settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_url.startswith("https://")


def http_only_cookie(
    request: Request[Any, Any, Any],
    settings: Settings,
    *,
    name: str,
    value: str,
    path: str,
    max_age: int | None,
    samesite: str = "lax",
) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        path=path,
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
        secure=is_secure(request, settings),
        max_age=max_age,
    )


def session_csrf(settings: Settings, principal: Principal, app: str) -> str:
    message = f"{app}-csrf|{principal.token_id}".encode()
    return hmac.new(settings.jwt_secret.encode(), message, hashlib.sha256).hexdigest()


async def form_with_csrf(request: Request[Any, Any, Any], expected: str) -> dict[str, str] | None:
    """The posted form without its CSRF field, or None when the token is missing or wrong."""
    form = await request.form()
    data = {k: str(v) for k, v in form.items()}
    sent = data.pop(CSRF_FIELD, "") or request.headers.get(CSRF_HEADER, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return None
    return data


def presession_csrf(
    request: Request[Any, Any, Any], settings: Settings, *, cookie_name: str, path: str
) -> tuple[str, Cookie | None]:
    """A sign-in form's double-submit CSRF token, and the cookie to set when it is new."""
    existing = request.cookies.get(cookie_name)
    if existing and len(existing) >= 32:
        return existing, None
    value = secrets.token_urlsafe(32)
    return value, http_only_cookie(
        request, settings, name=cookie_name, value=value, path=path, max_age=None, samesite="strict"
    )
