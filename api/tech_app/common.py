"""What every technician page shares: the catalog, rendering, and retry-safe form actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import AppSettings, DbSession, Now, SessionFactory
from api.tech_app.session import checked_form, csrf_token, signed_in_principal, technician
from api.web.messages import Catalog, Messages
from marketplace.auth import Principal
from marketplace.idempotency import run_idempotent
from marketplace.settings import Settings
from marketplace.technicians.service import get_technician, own_technician_id

CATALOG = Catalog(Path(__file__).parent / "messages")
IDEMPOTENCY_HEADER = "idempotency-key"


def translator(request: Request[Any, Any, Any]) -> Messages:
    return CATALOG.negotiate(request.headers.get("accept-language"))


def script_texts(t: Messages) -> dict[str, str]:
    """The texts the page's script shows (keys starting with `js.`), placeholders left for it."""
    return {key: t.text(key) for key in CATALOG.default.texts if key.startswith("js.")}


def note_text(t: Messages, note: str | None) -> str | None:
    """The confirmation a redirect asked for with `?note=...`; unknown notes show nothing."""
    key = f"tech.note.{note}"
    return t(key) if note and key in CATALOG.default.texts else None


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
            "script_texts": as_json(script_texts(t)),
            **context,
            "note_text": note_text(t, context.get("note")),
        },
        status_code=status,
    )


@dataclass
class Screen:
    """A signed-in technician's request: who, the database, the settings and the request's now."""

    request: Request[Any, Any, Any]
    principal: Principal
    db: AsyncSession
    settings: Settings
    now: datetime

    def render(self, name: str, **context: Any) -> Template:
        return page(self.request, self.settings, name, server_now=self.now.isoformat(), **context)

    def t(self, key: str, **values: Any) -> str:
        return translator(self.request)(key, **values)

    async def zone(self) -> ZoneInfo:
        tech = await get_technician(self.db, own_technician_id(self.principal))
        return ZoneInfo(tech.timezone)


@dataclass
class Action(Screen):
    """A form post: checked for its CSRF token, then run once per `Idempotency-Key`."""

    session_factory: async_sessionmaker[AsyncSession]

    async def run(self, verb: Callable[[dict[str, str]], Awaitable[str]]) -> Redirect:
        """Run the verb with the posted form and redirect where it says. The page's script sends
        a key with every action (also when it replays one queued offline); a retry with the same
        key redirects to the same place and does nothing again."""
        form = await checked_form(self.request, self.settings)

        async def operation() -> tuple[int, Any]:
            return 303, {"location": await verb(form)}

        _status, body = await run_idempotent(
            self.session_factory,
            self.db,
            principal=self.principal.key,
            key=self.request.headers.get(IDEMPOTENCY_HEADER),
            method=self.request.method,
            path=self.request.url.path,
            body=await self.request.body(),
            operation=operation,
            now=self.now,
            lock_s=self.settings.idempotency_lock_s,
        )
        return Redirect(path=str(body["location"]), status_code=303)


async def provide_screen(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings, now: Now
) -> Screen:
    return Screen(request, technician(request), db_session, settings, now)


async def provide_action(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    session_factory: SessionFactory,
    settings: AppSettings,
    now: Now,
) -> Action:
    return Action(request, technician(request), db_session, settings, now, session_factory)


TechScreen = NamedDependency[Screen]
TechAction = NamedDependency[Action]


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
