"""Parameter annotations for mobile handlers (the providers are registered app-wide)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.auth import Principal
from marketplace.settings import Settings

DbSession = NamedDependency[AsyncSession]
CurrentPrincipal = NamedDependency[Principal]
AppSettings = NamedDependency[Settings]
SessionFactory = NamedDependency[async_sessionmaker[AsyncSession]]
Now = NamedDependency[datetime]  # the request's one reading of the clock
IdempotencyKeyHeader = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", required=False, max_length=255)
]
