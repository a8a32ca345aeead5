"""Dispatchers: the counter-offer queue and the fairness of dispatch per region and period."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from api.deps import CurrentPrincipal, DbSession, Now
from marketplace.auth import requires
from marketplace.errors import InvalidInput
from marketplace.fairness import counters
from marketplace.fairness.models import CounterOffer
from marketplace.fairness.service import region_fairness
from marketplace.users.models import Role

DISPATCHER = requires(Role.DISPATCHER, Role.ADMIN)
Region = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class CounterStatusFilter(StrEnum):
    QUEUED = "queued"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUPERSEDED = "superseded"


class Decision(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class CounterOfferOut(msgspec.Struct):
    id: str
    offer_id: str
    work_order_id: str
    technician_id: str
    status: str
    pay_minor: int
    currency: str
    window_start: datetime | None
    window_end: datetime | None
    note: str | None
    reason: str
    numbers: dict[str, Any]
    decided_at: datetime | None
    created_at: datetime


class CounterOfferPage(msgspec.Struct):
    items: list[CounterOfferOut]
    next_cursor: str | None


class DecideIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Decision
    reason: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=300)] | None = None


class TechnicianFairnessOut(msgspec.Struct):
    technician_id: str
    offered: int
    won: int
    earnings_minor: int
    offer_share: float
    win_share: float
    earnings_share: float
    exposure_per_hour: float | None
    acceptance_rate: float | None


class FairnessOut(msgspec.Struct):
    region: str
    start: datetime
    end: datetime
    offered: int
    won: int
    earnings_minor: int
    gini_offers: float
    gini_wins: float
    gini_earnings: float
    exposure_per_hour: float | None
    acceptance_rate: float | None
    technicians: list[TechnicianFairnessOut]


def counter_offer_out(c: CounterOffer) -> CounterOfferOut:
    return CounterOfferOut(
        id=str(c.id),
        offer_id=str(c.offer_id),
        work_order_id=str(c.work_order_id),
        technician_id=str(c.technician_id),
        status=c.status,
        pay_minor=c.pay_minor,
        currency=c.currency,
        window_start=c.window_start,
        window_end=c.window_end,
        note=c.note,
        reason=c.reason,
        numbers=dict(c.numbers),
        decided_at=c.decided_at,
        created_at=c.created_at,
    )


class FairnessController(Controller):
    path = "/dispatch"
    tags = ["dispatch console"]
    guards = [DISPATCHER]

    @get("/counter-offers", operation_id="listCounterOffers")
    async def list_counter_offers(
        self,
        db_session: DbSession,
        status: Annotated[
            CounterStatusFilter | None, QueryParameter(required=False)
        ] = CounterStatusFilter.QUEUED,
        cursor: Annotated[str | None, QueryParameter(required=False, max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> CounterOfferPage:
        """Technicians' counter-offers, oldest first; by default the ones waiting for a
        dispatcher. Each carries the numbers: the counter's total cost to the plan, the best
        alternative's (next candidate or leaving the job open) and what the platform absorbs."""
        page = await counters.list_counter_offers(
            db_session, status=status.value if status else None, cursor=cursor, limit=limit
        )
        return CounterOfferPage([counter_offer_out(c) for c in page.items], page.next_cursor)

    @post("/counter-offers/{counter_id:uuid}/decision", operation_id="decideCounterOffer", status_code=200)
    async def decide_counter_offer(
        self,
        now: Now,
        counter_id: FromPath[uuid.UUID],
        data: JSONBody[DecideIn],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> CounterOfferOut:
        """Accept (the technician gets the job at the countered pay and window; the customer's
        price does not change) or decline a queued counter-offer. Deciding the same way again
        returns it; a counter already decided otherwise is 409 `counter-already-decided`; one
        whose job someone else took is 409 `offer-taken`."""
        counter = await counters.decide_counter_offer(
            db_session,
            principal,
            counter_id,
            accept=data.decision is Decision.ACCEPT,
            reason=data.reason,
            now=now,
        )
        return counter_offer_out(counter)

    @get("/regions/{region:str}/fairness", operation_id="getFairnessMetrics")
    async def get_fairness(
        self,
        region: Region,
        db_session: DbSession,
        start: Annotated[datetime, QueryParameter()],
        end: Annotated[datetime, QueryParameter()],
    ) -> FairnessOut:
        """How work was shared out in a region over [start, end): each qualified, available
        technician's share of offers, wins and earnings, the Gini coefficients, exposure
        (offers per available hour) and acceptance rate (won / won + declined + expired)."""
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise InvalidInput("start and end must be time-zone aware, with end after start")
        f = await region_fairness(db_session, region, start=start, end=end)
        return FairnessOut(
            region=region,
            start=start,
            end=end,
            offered=f.offered,
            won=f.won,
            earnings_minor=f.earnings_minor,
            gini_offers=f.gini_offers,
            gini_wins=f.gini_wins,
            gini_earnings=f.gini_earnings,
            exposure_per_hour=f.exposure_per_hour,
            acceptance_rate=f.acceptance_rate,
            technicians=[
                TechnicianFairnessOut(
                    technician_id=t.technician_id,
                    offered=t.offered,
                    won=t.won,
                    earnings_minor=t.earnings_minor,
                    offer_share=t.offer_share,
                    win_share=t.win_share,
                    earnings_share=t.earnings_share,
                    exposure_per_hour=t.exposure_per_hour,
                    acceptance_rate=t.acceptance_rate,
                )
                for t in f.technicians
            ],
        )
