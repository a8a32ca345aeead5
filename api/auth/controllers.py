from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from api.auth.schemas import Me, SessionsRevoked, TokenRequest, TokenResponse
from api.deps import AppSettings, CurrentPrincipal, DbSession, Now
from marketplace import sessions
from marketplace.auth import authenticate, issue_token, requires, signed_in
from marketplace.sessions import READABLE_WHILE_SUSPENDED
from marketplace.users.models import Role


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", operation_id="createToken", status_code=200, security=[])
    async def create_token(
        self, now: Now, data: JSONBody[TokenRequest], db_session: DbSession, settings: AppSettings
    ) -> TokenResponse:
        """Exchange an email and password for a bearer token (password login)."""
        user = await authenticate(db_session, data.email, data.password)
        return TokenResponse(
            access_token=issue_token(settings, user, now=now),
            token_type="Bearer",
            expires_in=settings.access_token_ttl_s,
            role=user.role,
            user_id=str(user.id),
        )

    @post(
        "/logout",
        operation_id="logout",
        status_code=204,
        guards=[signed_in],
        opt={READABLE_WHILE_SUSPENDED: True},
    )
    async def logout(self, now: Now, db_session: DbSession, principal: CurrentPrincipal) -> None:
        """End this session: the bearer token used for this call is refused from now on
        (401). Other sessions of the same user stay signed in."""
        await sessions.sign_out(db_session, principal, now)

    @get("/me", operation_id="getMe", guards=[signed_in], opt={READABLE_WHILE_SUSPENDED: True})
    async def me(self, principal: CurrentPrincipal) -> Me:
        """Who the bearer token belongs to."""
        return Me(
            user_id=str(principal.user_id),
            role=principal.role.value,
            customer_id=str(principal.customer_id) if principal.customer_id else None,
            technician_id=str(principal.technician_id) if principal.technician_id else None,
        )


class UserSessionsController(Controller):
    path = "/admin/users"
    tags = ["admin"]
    guards = [requires(Role.ADMIN)]

    @post("/{user_id:uuid}/revoke-sessions", operation_id="revokeUserSessions", status_code=200)
    async def revoke_sessions(
        self, user_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> SessionsRevoked:
        """End every session of a user at once (e.g. a lost phone): all their bearer tokens
        are refused from now on (401); they can sign in again. Unknown user: 404."""
        version = await sessions.revoke_all_sessions(db_session, principal, user_id)
        return SessionsRevoked(user_id=str(user_id), token_version=version)
