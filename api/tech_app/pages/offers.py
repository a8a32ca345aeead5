"""Offers: the job, the pay, the travel and "why you"; accept or decline; missed offers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.deps import AppSettings, DbSession, Now, SessionFactory
from api.tech_app.common import act, page, steps_tried, technician_zone, translator
from api.tech_app.session import checked_form, technician
from api.tech_app.tracking import location_wanted
from api.web import formats
from marketplace.offers import service
from marketplace.offers.models import OfferStatus

DECLINE_REASONS = ("too_far", "busy", "skills", "pay", "other")


@dataclass(frozen=True)
class OfferCard:
    id: str
    status: str
    summary: str
    category: str | None
    address: str | None
    window: str | None
    pay: str | None
    travel: str | None
    travel_minutes: int | None
    why_you: list[str]
    tried: list[str]
    expires_at: str
    expires_clock: str


def offer_card(view: service.OfferView, tz: ZoneInfo) -> OfferCard:
    o, w = view.offer, view.order
    e = o.explanation or {}
    travel_m, travel_s = e.get("travel_m"), e.get("travel_s")
    return OfferCard(
        id=str(o.id),
        status=view.effective_status,
        summary=w.summary,
        category=w.category_code,
        address=w.address,
        window=formats.span(o.window_start, o.window_end, tz) if o.window_start and o.window_end else None,
        pay=formats.money(o.earnings_minor, o.currency) if o.earnings_minor is not None else None,
        travel=formats.distance(int(travel_m)) if travel_m else None,
        travel_minutes=max(1, round(int(travel_s) / 60)) if travel_s else None,
        why_you=[str(reason) for reason in e.get("why_you", [])],
        tried=steps_tried(w.context),
        expires_at=o.expires_at.isoformat(),
        expires_clock=formats.clock(o.expires_at, tz),
    )


class OfferPages(Controller):
    path = "/offers"
    include_in_schema = False

    @get("")
    async def offers(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        principal = technician(request)
        tz = await technician_zone(db_session, principal)
        pending = await service.list_offers(
            db_session, principal, status=OfferStatus.PENDING, cursor=None, limit=20, now=now
        )
        missed = await service.list_missed_offers(db_session, principal, cursor=None, limit=10)
        return page(
            request,
            settings,
            "offers.html",
            tab="offers",
            now=now.isoformat(),
            offers=[offer_card(v, tz) for v in pending.items],
            missed=[
                {"summary": w.summary, "reason": m.reason, "at": formats.day_and_clock(m.created_at, tz)}
                for m, w in missed.items
            ],
            reasons=DECLINE_REASONS,
            note=note,
            tracking=await location_wanted(db_session, principal, now=now),
        )

    @get("/{offer_id:uuid}")
    async def offer(
        self,
        request: Request[Any, Any, Any],
        offer_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Template:
        principal = technician(request)
        view = await service.get_offer(db_session, principal, offer_id, now=now)
        tz = await technician_zone(db_session, principal)
        return page(
            request,
            settings,
            "offer.html",
            tab="offers",
            now=now.isoformat(),
            offer=offer_card(view, tz),
            reasons=DECLINE_REASONS,
        )

    @post("/{offer_id:uuid}/accept", status_code=303)
    async def accept(
        self,
        request: Request[Any, Any, Any],
        offer_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        principal = technician(request)
        await checked_form(request, settings)

        async def verb() -> str:
            await service.accept_offer(db_session, principal, offer_id, now=now)
            return "/tech/today?note=accepted"

        return await act(
            request,
            principal=principal,
            db_session=db_session,
            session_factory=session_factory,
            settings=settings,
            now=now,
            verb=verb,
        )

    @post("/{offer_id:uuid}/decline", status_code=303)
    async def decline(
        self,
        request: Request[Any, Any, Any],
        offer_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Redirect:
        principal = technician(request)
        form = await checked_form(request, settings)
        t = translator(request)
        chosen = form.get("reason", "")
        words = form.get("details", "").strip()
        label = t(f"tech.decline.reason.{chosen}") if chosen in DECLINE_REASONS else ""
        reason = ": ".join(part for part in (label, words) if part)[:500] or None

        async def verb() -> str:
            await service.decline_offer(db_session, principal, offer_id, reason=reason, now=now)
            return "/tech/offers?note=declined"

        return await act(
            request,
            principal=principal,
            db_session=db_session,
            session_factory=session_factory,
            settings=settings,
            now=now,
            verb=verb,
        )
