"""The technician mobile API, versioned under /mobile/v1. Add controllers here."""

from __future__ import annotations

from typing import Any

from litestar import Router

CONTROLLERS: list[Any] = []


def build_mobile_router() -> Router:
    return Router(path="/mobile/v1", route_handlers=CONTROLLERS, tags=["mobile"])
