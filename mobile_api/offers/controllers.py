"""Offers: list, read, accept, decline; and "why not you" receipts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter

from marketplace.auth import requires
from marketplace.offers import answers, reads
from marketplace.sessions import readable_while_suspended
from marketplace.users.models import Role
from mobile_api.common import Cursor, Limit, Money, body, money, problem_responses
from mobile_api.deps import CurrentPrincipal, DbSession, Now


class OfferStatusFilter(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class JobOut(msgspec.Struct):
    work_order_id: str
    summary: str
    category: str | None
    address: str | None
    lat: float
    lng: float
    duration_s: int
    priority: int
    required_skills: list[dict[str, Any]]
    context: dict[str, Any]  # what support already knows and tried: read it before going


class TermOut(msgspec.Struct):
    name: str
    value: float
    contribution: int


class OfferOut(msgspec.Struct):
    id: str
    status: str
    job: JobOut
    window_start: datetime | None
    window_end: datetime | None
    earnings: Money | None
    expires_at: datetime
    why_you: list[str]
    score_terms: list[TermOut]
    travel_m: int | None
    decline_reason: str | None
    responded_at: datetime | None
    created_at: datetime


class OfferPage(msgspec.Struct):
    items: list[OfferOut]
    next_cursor: str | None


class DeclineIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=500)] | None = None


class MissedOut(msgspec.Struct):
    work_order_id: str
    summary: str
    reason: str
    reason_code: str
    at: datetime


class MissedPage(msgspec.Struct):
    items: list[MissedOut]
    next_cursor: str | None


OFFER_EXAMPLE = {
    "id": "0b3e0d1c-5f7a-4a43-9d0e-7a4c2f1f9b11",
    "status": "pending",
    "job": {
        "work_order_id": "5b8f0c7e-2d7b-4f0f-8f4e-3f0a9d3c1e22",
        "summary": "Boiler shows error E119, no heating",
        "category": "boiler.no_heat",
        "address": "Keizersgracht 1, Amsterdam",
        "lat": 52.38,
        "lng": 4.89,
        "duration_s": 3600,
        "priority": 2,
        "required_skills": [{"code": "hvac.repair", "min_level": 2}],
        "context": {"tried": ["reset boiler", "checked pressure: 0.6 bar"]},
    },
    "window_start": "2026-05-04T10:00:00Z",
    "window_end": "2026-05-04T12:00:00Z",
    "earnings": {"amount": 7650, "currency": "eur"},
    "expires_at": "2026-05-04T09:15:00Z",
    "why_you": ["12 min away", "rated 4.8 from 37 reviews", "skill level matches the job exactly"],
    "score_terms": [{"name": "travel", "value": 12.0, "contribution": 1200}],
    "travel_m": 4300,
    "decline_reason": None,
    "responded_at": None,
    "created_at": "2026-05-04T09:00:00Z",
}


def offer_out(view: reads.OfferView) -> OfferOut:
    o, w = view.offer, view.order
    e = o.explanation
    return OfferOut(
        id=str(o.id),
        status=view.effective_status,
        job=JobOut(
            work_order_id=str(w.id),
            summary=w.summary,
            category=w.category_code,
            address=w.address,
            lat=w.lat,
            lng=w.lng,
            duration_s=w.duration_s,
            priority=w.priority,
            required_skills=list(w.required_skills),
            context=dict(w.context),
        ),
        window_start=o.window_start,
        window_end=o.window_end,
        earnings=money(o.earnings_minor, o.currency),
        expires_at=o.expires_at,
        why_you=list(e.get("why_you", [])),
        score_terms=[TermOut(t["name"], t["value"], t["contribution"]) for t in e.get("terms", [])],
        travel_m=e.get("travel_m"),
        decline_reason=o.decline_reason,
        responded_at=o.responded_at,
        created_at=o.created_at,
    )


class OffersController(Controller):
    path = ""
    tags = ["mobile: offers"]
    guards = [requires(Role.TECHNICIAN)]

    @get(
        "/offers",
        operation_id="listOffers",
        responses={
            200: ResponseSpec(
                data_container=OfferPage,
                generate_examples=False,
                description="A page of offers, newest first",
                examples=[
                    Example(
                        summary="one pending offer", value={"items": [OFFER_EXAMPLE], "next_cursor": None}
                    )
                ],
            )
        },
    )
    async def list_offers(
        self,
        now: Now,
        db_session: DbSession,
        principal: CurrentPrincipal,
        status: Annotated[OfferStatusFilter | None, QueryParameter(required=False)] = None,
        cursor: Cursor = None,
        limit: Limit = 20,
    ) -> OfferPage:
        """Your offers, newest first. Each carries the job, its support context, the arrival
        window, what you earn, when it expires and **why you** in plain words.
        `status=pending` lists only offers you can still accept."""
        page = await reads.list_offers(
            db_session,
            principal,
            status=status.value if status else None,
            cursor=cursor,
            limit=limit,
            now=now,
        )
        return OfferPage(items=[offer_out(v) for v in page.items], next_cursor=page.next_cursor)

    @get(
        "/offers/{offer_id:uuid}",
        operation_id="getOffer",
        responses=problem_responses(404),
        opt=readable_while_suspended(),
    )
    async def get_offer(
        self, now: Now, offer_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> OfferOut:
        """One of your offers (someone else's is 404)."""
        return offer_out(await reads.get_offer(db_session, principal, offer_id, now=now))

    @post(
        "/offers/{offer_id:uuid}/accept",
        operation_id="acceptOffer",
        status_code=200,
        responses=problem_responses(404, 409),
    )
    async def accept_offer(
        self, now: Now, offer_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> OfferOut:
        """Take the job. If several technicians accept at once, exactly one wins; the others
        get 409 `offer-taken`. Expired offers: 409 `offer-expired`; withdrawn/declined:
        409 `offer-not-pending`. Retrying an accept that already succeeded returns the same offer."""
        return offer_out(await answers.accept_offer(db_session, principal, offer_id, now=now))

    @post(
        "/offers/{offer_id:uuid}/decline",
        operation_id="declineOffer",
        status_code=200,
        responses=problem_responses(404, 409),
    )
    async def decline_offer(
        self,
        now: Now,
        offer_id: FromPath[uuid.UUID],
        data: Annotated[DeclineIn, body({"reason": "too far with today's traffic"})],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> OfferOut:
        """Say no, optionally with a reason (recorded). Retrying returns the first answer."""
        return offer_out(
            await answers.decline_offer(db_session, principal, offer_id, reason=data.reason, now=now)
        )

    @get("/missed-offers", operation_id="listMissedOffers", opt=readable_while_suspended())
    async def list_missed(
        self, db_session: DbSession, principal: CurrentPrincipal, cursor: Cursor = None, limit: Limit = 20
    ) -> MissedPage:
        """ "Why not you": jobs you were considered for and did not get, with the main reason
        (e.g. "another technician was 4.0 km closer", "certification gas_safe expired").
        Never says who got the job."""
        page = await reads.list_missed_offers(db_session, principal, cursor=cursor, limit=limit)
        return MissedPage(
            items=[
                MissedOut(
                    work_order_id=str(m.work_order_id),
                    summary=w.summary,
                    reason=m.reason,
                    reason_code=m.reason_code,
                    at=m.created_at,
                )
                for m, w in page.items
            ],
            next_cursor=page.next_cursor,
        )
