"""Offers: the job, the pay, the travel and "why you"; accept or decline; missed offers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from api.tech_app.common import TechAction, TechScreen, steps_tried
from api.tech_app.tracking import location_wanted
from api.web import formats
from marketplace.offers import answers, reads
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


def offer_card(view: reads.OfferView, tz: ZoneInfo) -> OfferCard:
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
    async def offers(self, screen: TechScreen, note: FromQuery[str | None] = None) -> Template:
        db, principal, now = screen.db, screen.principal, screen.now
        tz = await screen.zone()
        pending = await reads.list_offers(
            db, principal, status=OfferStatus.PENDING, cursor=None, limit=20, now=now
        )
        missed = await reads.list_missed_offers(db, principal, cursor=None, limit=10)
        return screen.render(
            "offers.html",
            tab="offers",
            offers=[offer_card(v, tz) for v in pending.items],
            missed=[
                {"summary": w.summary, "reason": m.reason, "at": formats.day_and_clock(m.created_at, tz)}
                for m, w in missed.items
            ],
            reasons=DECLINE_REASONS,
            note=note,
            tracking=await location_wanted(db, principal, now=now),
        )

    @get("/{offer_id:uuid}")
    async def offer(self, screen: TechScreen, offer_id: FromPath[uuid.UUID]) -> Template:
        view = await reads.get_offer(screen.db, screen.principal, offer_id, now=screen.now)
        return screen.render(
            "offer.html",
            tab="offers",
            offer=offer_card(view, await screen.zone()),
            reasons=DECLINE_REASONS,
        )

    @post("/{offer_id:uuid}/accept", status_code=303)
    async def accept(self, action: TechAction, offer_id: FromPath[uuid.UUID]) -> Redirect:
        async def verb(_form: dict[str, str]) -> str:
            await answers.accept_offer(action.db, action.principal, offer_id, now=action.now)
            return "/tech/today?note=accepted"

        return await action.run(verb)

    @post("/{offer_id:uuid}/decline", status_code=303)
    async def decline(self, action: TechAction, offer_id: FromPath[uuid.UUID]) -> Redirect:
        async def verb(form: dict[str, str]) -> str:
            chosen = form.get("reason", "")
            label = action.t(f"tech.decline.reason.{chosen}") if chosen in DECLINE_REASONS else ""
            words = form.get("details", "").strip()
            reason = ": ".join(part for part in (label, words) if part)[:500] or None
            await answers.decline_offer(action.db, action.principal, offer_id, reason=reason, now=action.now)
            return "/tech/offers?note=declined"

        return await action.run(verb)
