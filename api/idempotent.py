"""Glue between a Litestar request and `marketplace.idempotency.run_idempotent`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.auth import Principal
from marketplace.idempotency import run_idempotent

IDEMPOTENCY_HEADER = "Idempotency-Key"


async def idempotent(
    request: Request[Any, Any, Any],
    principal: Principal,
    db_session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    create: Callable[[], Awaitable[Any]],
    *,
    status_code: int = 201,
) -> Response[Any]:
    """Run `create` once per Idempotency-Key; replays return the first response verbatim."""

    async def operation() -> tuple[int, Any]:
        result = await create()
        return status_code, msgspec.to_builtins(result)

    status, body = await run_idempotent(
        session_factory,
        db_session,
        principal=principal.key,
        key=request.headers.get(IDEMPOTENCY_HEADER),
        method=request.method,
        path=request.url.path,
        body=await request.body(),
        operation=operation,
        lock_s=request.app.state.settings.idempotency_lock_s,
    )
    return Response(body, status_code=status)
