from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from api.auth.schemas import Me, TokenRequest, TokenResponse
from api.deps import AppSettings, CurrentPrincipal, DbSession, Now
from marketplace.auth import authenticate, issue_token, signed_in


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

    @get("/me", operation_id="getMe", guards=[signed_in])
    async def me(self, principal: CurrentPrincipal) -> Me:
        """Who the bearer token belongs to."""
        return Me(
            user_id=str(principal.user_id),
            role=principal.role.value,
            customer_id=str(principal.customer_id) if principal.customer_id else None,
            technician_id=str(principal.technician_id) if principal.technician_id else None,
        )
