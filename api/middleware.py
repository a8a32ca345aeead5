"""ASGI middleware: request ids and bearer-token authentication."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from marketplace.auth import principal_from_token  # PRINCIPAL_SCOPE_KEY is "user"
from marketplace.errors import Unauthenticated
from marketplace.logs import request_id_var
from marketplace.sessions import check_session

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers  # type: ignore[typeddict-unknown-key]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)

    return middleware


def bearer_auth_middleware(app: ASGIApp) -> ASGIApp:
    """Attach the caller's Principal to the scope when a bearer token is sent.

    A missing token leaves the caller anonymous (guards then answer 401); a bad token is
    always a 401, even on public routes, so a client learns its token is broken. A token
    whose session has ended (signed out, sessions revoked, user deactivated or deleted) is
    a bad token: one primary-key query per request checks it.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            scope["user"] = None
            if header:
                scheme, _, token = header.partition(" ")
                if scheme.lower() == "device":  # telemetry: the intake endpoint checks it
                    await app(scope, receive, send)
                    return
                if scheme.lower() != "bearer" or not token.strip():
                    raise Unauthenticated("Use the Bearer scheme: Authorization: Bearer <token>")
                state: Any = scope["app"].state
                principal = principal_from_token(state.settings, token.strip())
                scope["user"] = await check_session(state.engine, principal)
        await app(scope, receive, send)

    return middleware
