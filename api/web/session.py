"""Cookie sessions for server-rendered pages: the API's signed token in an HttpOnly cookie.

Each app reads only its own cookie, scoped to its own path, so a browser cookie never
authorises a JSON API call (those keep bearer tokens). Forms carry a CSRF token: an HMAC of
the session's token id and the app's name, so it changes with each sign-in and dies with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
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


class FormRefused(Exception):
    """A form post without its CSRF token, or with a stale one."""


@dataclass(frozen=True)
class CookieSession:
    """One app's cookie session: its cookie names, its path and its CSRF scope, in one place."""

    app: str
    cookie: str
    path: str

    @property
    def presession_cookie(self) -> str:
        return f"{self.cookie}_csrf"

    def middleware(self) -> Any:
        return cookie_session_middleware(self.cookie)

    def session_cookie(self, request: Request[Any, Any, Any], settings: Settings, token: str) -> Cookie:
        return http_only_cookie(
            request,
            settings,
            name=self.cookie,
            value=token,
            path=self.path,
            max_age=settings.access_token_ttl_s,
        )

    def cleared_cookie(self, request: Request[Any, Any, Any], settings: Settings) -> Cookie:
        return http_only_cookie(request, settings, name=self.cookie, value="", path=self.path, max_age=0)

    def presession_csrf(
        self, request: Request[Any, Any, Any], settings: Settings
    ) -> tuple[str, Cookie | None]:
        return presession_csrf(request, settings, cookie_name=self.presession_cookie, path=self.path)

    def csrf_token(self, request: Request[Any, Any, Any], settings: Settings) -> str:
        """The session's CSRF token when signed in, else the sign-in form's double-submit value."""
        principal = page_principal(request)
        if principal is not None:
            return session_csrf(settings, principal, self.app)
        return request.cookies.get(self.presession_cookie, "")

    async def checked_form(self, request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
        """The posted form without its CSRF field; `FormRefused` when the token is missing or wrong."""
        data = await form_with_csrf(request, self.csrf_token(request, settings))
        if data is None:
            raise FormRefused()
        return data
