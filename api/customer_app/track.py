"""Tracking the visit on /app: who is coming, their rating, the ETA and, once they are on
the way, their position; kept live with server-sent events.

Like the console's alert feed, the database is the source of truth: the stream reads its
order again when the live hub says the order or its technician changed (whichever API
process or worker made the change) and at least every `live_fallback_s`, for the ETA that
moves with the clock. Each open tracking page re-reads only its own order.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get
from litestar.response import File, ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.customer_app import wording
from api.customer_app.session import customer
from api.deps import AppSettings, DbSession
from api.web.assets import plotly_js
from api.web.live import LiveHub
from api.web.messages import Messages
from marketplace.auth import Principal
from marketplace.bookings import service as bookings
from marketplace.clock import utcnow
from marketplace.live import order_topic, technician_topic
from marketplace.technicians.models import Technician
from marketplace.visits.eta import estimate
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.reads import visible_order

TRACKED = (S.ASSIGNED, S.EN_ROUTE, S.ON_SITE)
LIVE = (S.SCHEDULED, S.OFFERED, *TRACKED)
HEARTBEAT_S = 15.0


async def snapshot(
    session: AsyncSession, order: WorkOrder, *, now: datetime, tz: ZoneInfo, m: Messages
) -> dict[str, Any]:
    """What the tracking card shows, as plain JSON (the page renders it, the stream sends it)."""
    appointment = await bookings.live_appointment(session, order.id)
    eta = await estimate(session, order, appointment, now=now)
    tech = await session.get(Technician, uuid.UUID(eta.technician_id)) if eta.technician_id else None
    status = S(order.status)
    position = None
    if status is S.EN_ROUTE and tech is not None and tech.last_lat is not None and tech.last_lng is not None:
        position = {"lat": tech.last_lat, "lng": tech.last_lng}
    return {
        "status": status.value,
        "status_text": wording.status(status.value, m),
        "next": wording.next_step(status, eta, None, None, tz, m) if status in TRACKED else None,
        "technician": tech.display_name if tech is not None else None,
        "rating": wording.rating(tech.rating_sum, tech.rating_count, m) if tech is not None else None,
        "arrival": wording.clock(eta.arrival, tz) if eta.arrival else None,
        "live": eta.source == "live_location",
        "position": position,
        "site": {"lat": order.lat, "lng": order.lng},
    }


async def track_stream(
    factory: async_sessionmaker[AsyncSession],
    hub: LiveHub,
    principal: Principal,
    order_id: uuid.UUID,
    tz: ZoneInfo,
    m: Messages,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """`track` events whenever the snapshot changes; ownership is checked on every read."""
    yield ServerSentEventMessage(event="ready", data="{}", retry=3000)
    last: dict[str, Any] | None = None
    technician_id: uuid.UUID | None = None
    sent_at = time.monotonic()
    while True:
        topics = [order_topic(order_id)] + ([technician_topic(technician_id)] if technician_id else [])
        with hub.watching(topics) as changed:  # before the read: a change during it still wakes us
            async with factory() as session:
                order = await visible_order(session, principal, order_id)
                current = await snapshot(session, order, now=utcnow(), tz=tz, m=m)
                technician_id = order.technician_id
            read_at = time.monotonic()
            if current != last:
                last, sent_at = current, read_at
                yield ServerSentEventMessage(event="track", data=msgspec.json.encode(current).decode())
            # until a change or the fallback re-read, with a keep-alive when the line is quiet
            while True:
                here = time.monotonic()
                until = min(read_at + hub.fallback_s, sent_at + HEARTBEAT_S) - here
                if await hub.wait(changed, at_most_s=max(until, 0.0)):
                    break
                if time.monotonic() - read_at >= hub.fallback_s:
                    break
                sent_at = time.monotonic()
                yield ServerSentEventMessage(comment="keep-alive", data=None)


class TrackPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/orders/{order_id:uuid}/live")
    async def live(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        db_session: DbSession,
        settings: AppSettings,
    ) -> ServerSentEvent:
        """Server-sent `track` events for the customer's own order (404 for anyone else's)."""
        principal = customer(request)
        await visible_order(db_session, principal, order_id)
        stream = track_stream(
            request.app.state.session_factory,
            request.app.state.live_hub,
            principal,
            order_id,
            ZoneInfo(settings.default_timezone),
            wording.messages_for(request),
        )
        return ServerSentEvent(stream, headers={"Cache-Control": "no-store"})

    @get("/static/plotly.min.js")
    async def plotly_js(self) -> File:
        """plotly.js from the installed `plotly` package (no CDN)."""
        return plotly_js()
