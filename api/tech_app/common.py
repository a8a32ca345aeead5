"""What every technician page shares: the catalog, rendering, and retry-safe form actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.tech_app.session import csrf_token, signed_in_principal
from api.web.catalog import Catalog, Translator
from marketplace.auth import Principal
from marketplace.idempotency import run_idempotent
from marketplace.settings import Settings
from marketplace.technicians.service import get_technician, own_technician_id

CATALOG = Catalog(Path(__file__).parent / "messages")
IDEMPOTENCY_HEADER = "idempotency-key"


def translator(request: Request[Any, Any, Any]) -> Translator:
    return CATALOG.translator(CATALOG.choose(request.headers.get("accept-language")))


def as_json(value: Any) -> str:
    """JSON safe to embed in a <script type="application/json"> element."""
    return msgspec.json.encode(value).decode().replace("</", "<\\/")


def page(
    request: Request[Any, Any, Any], settings: Settings, name: str, *, status: int = 200, **context: Any
) -> Template:
    t = translator(request)
    return Template(
        template_name=f"tech/{name}",
        context={
            "t": t,
            "lang": t.language,
            "csrf": csrf_token(request, settings),
            "signed_in": signed_in_principal(request) is not None,
            "tab": None,
            "tracking": False,
            "script_texts": as_json(t.texts("js.")),
            **context,
        },
        status_code=status,
    )


async def technician_zone(session: AsyncSession, principal: Principal) -> ZoneInfo:
    tech = await get_technician(session, own_technician_id(principal))
    return ZoneInfo(tech.timezone)


async def act(
    request: Request[Any, Any, Any],
    *,
    principal: Principal,
    db_session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: Any,
    verb: Callable[[], Awaitable[str]],
) -> Redirect:
    """Run a form's verb once per `Idempotency-Key` (sent by the page's script, also when it
    replays an action queued offline) and redirect where the verb says; a retry with the same
    key redirects to the same place and does nothing again."""

    async def operation() -> tuple[int, Any]:
        return 303, {"location": await verb()}

    _status, body = await run_idempotent(
        session_factory,
        db_session,
        principal=principal.key,
        key=request.headers.get(IDEMPOTENCY_HEADER),
        method=request.method,
        path=request.url.path,
        body=await request.body(),
        operation=operation,
        now=now,
        lock_s=settings.idempotency_lock_s,
    )
    return Redirect(path=str(body["location"]), status_code=303)


def steps_tried(context: dict[str, Any] | None) -> list[str]:
    """What support already tried, from every escalation entry of the order, once each."""
    found: list[str] = []
    entries = (context or {}).get("entries") or [context or {}]
    for entry in entries:
        tried = entry.get("steps_tried") if isinstance(entry, dict) else None
        for step in tried if isinstance(tried, list) else []:
            if str(step) not in found:
                found.append(str(step))
    return found
