"""Counter-offers: answer a pending offer with other pay and/or another arrival window."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, post
from litestar.params import FromPath

from marketplace.auth import requires
from marketplace.fairness import counters
from marketplace.fairness.models import CounterOffer
from marketplace.users.models import Role
from mobile_api.common import Money, body, money, problem_responses
from mobile_api.deps import CurrentPrincipal, DbSession, Now


class CounterIn(msgspec.Struct, forbid_unknown_fields=True):
    pay_minor: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    note: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=500)] | None = None


class CounterOut(msgspec.Struct):
    id: str
    offer_id: str
    work_order_id: str
    status: str  # accepted | declined | queued (a dispatcher decides) | superseded
    pay: Money | None
    window_start: datetime | None
    window_end: datetime | None
    note: str | None
    reason: str  # the decision in words, with the numbers
    numbers: dict[str, Any]  # the counter priced against the plan (minor units)
    decided_at: datetime | None
    created_at: datetime


def counter_out(c: CounterOffer) -> CounterOut:
    return CounterOut(
        id=str(c.id),
        offer_id=str(c.offer_id),
        work_order_id=str(c.work_order_id),
        status=c.status,
        pay=money(c.pay_minor, c.currency),
        window_start=c.window_start,
        window_end=c.window_end,
        note=c.note,
        reason=c.reason,
        numbers=dict(c.numbers),
        decided_at=c.decided_at,
        created_at=c.created_at,
    )


class CounterOffersController(Controller):
    path = ""
    tags = ["mobile: offers"]
    guards = [requires(Role.TECHNICIAN)]

    @post(
        "/offers/{offer_id:uuid}/counter",
        operation_id="counterOffer",
        status_code=200,
        responses=problem_responses(404, 409, 422),
    )
    async def counter_offer(
        self,
        now: Now,
        offer_id: FromPath[uuid.UUID],
        data: Annotated[
            CounterIn,
            body({"pay_minor": 8200, "note": "two hours of driving each way with today's roadworks"}),
        ],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> CounterOut:
        """Counter a pending offer: other pay (integer minor units), another arrival window, or
        both, with a note. Fieldhand prices it against the plan at once: `accepted` (the job is
        yours at that pay; the customer's price does not change), `declined` (with the reason
        and the numbers; the original offer still stands) or `queued` for a dispatcher.
        One counter per offer: repeating it returns the first answer. A counter on a job
        someone else has just taken is 409 `offer-taken`."""
        counter = await counters.counter_offer(
            db_session,
            principal,
            offer_id,
            pay_minor=data.pay_minor,
            window_start=data.window_start,
            window_end=data.window_end,
            note=data.note,
            now=now,
        )
        return counter_out(counter)
