"""Dependencies provided app-wide (both HTTP surfaces receive them by parameter name)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.auth import PRINCIPAL_SCOPE_KEY, Principal
from marketplace.clock import utcnow
from marketplace.errors import Unauthenticated
from marketplace.live import publish_changes
from marketplace.outbox import push_pending, take_pending
from marketplace.settings import Settings


def provide_now() -> datetime:
    """The request's one reading of the clock. Handlers take it as `now` and pass it down;
    nothing below the edge reads the clock (one instant per request, testable at any time)."""
    return utcnow()


async def provide_db_session(
    state: State, now: NamedDependency[datetime]
) -> AsyncGenerator[AsyncSession, None]:
    """One session per request: commit on success, roll back on error, then push outbox rows
    and tell live pages what changed."""
    factory: async_sessionmaker[AsyncSession] = state.session_factory
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        await push_pending(factory, state.queue, take_pending(session), now=now)
        await publish_changes(getattr(state, "live", None), session)


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)  # type: ignore[misc]
    if not isinstance(principal, Principal):
        raise Unauthenticated("Send a bearer token: Authorization: Bearer <token>")
    return principal


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_session_factory(state: State) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = state.session_factory
    return factory


# Parameter annotations for handlers (Litestar 3 needs named dependencies marked explicitly).
DbSession = NamedDependency[AsyncSession]
CurrentPrincipal = NamedDependency[Principal]
AppSettings = NamedDependency[Settings]
SessionFactory = NamedDependency[async_sessionmaker[AsyncSession]]
Now = NamedDependency[datetime]
IdempotencyKeyHeader = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", required=False, max_length=255)
]
