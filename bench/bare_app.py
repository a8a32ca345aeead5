"""The baseline: a bare Litestar JSON endpoint (no database, no middleware) served like the API."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get, post


@get("/bare")
async def bare_get() -> dict[str, str]:
    return {"status": "ok"}


@post("/bare", status_code=201)
async def bare_post(data: dict[str, Any]) -> dict[str, Any]:
    return data


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_bare_app() -> Litestar:
    return Litestar(route_handlers=[bare_get, bare_post, healthz])
