from __future__ import annotations

from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    role: str
    user_id: str


class Me(msgspec.Struct):
    user_id: str
    role: str
    customer_id: str | None
    technician_id: str | None


class SessionsRevoked(msgspec.Struct):
    user_id: str
    token_version: int
