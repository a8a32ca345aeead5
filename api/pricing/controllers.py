"""Quotes: the price of a work order and how it is made up."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from api.deps import CurrentPrincipal, DbSession
from marketplace.auth import requires
from marketplace.pricing.quotes import get_quote
from marketplace.users.models import Role

WorkOrderId = Annotated[uuid.UUID, PathParameter(description="Work order id")]


class Money(msgspec.Struct):
    amount: int
    currency: str


class ProblemOut(msgspec.Struct):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str


class QuoteOut(msgspec.Struct):
    work_order_id: uuid.UUID
    amount: Money
    base: Money
    standard_duration_s: int
    duration_s: int
    duration_adjustment: Money
    priority: int
    priority_surcharge: Money
    tier: str
    tier_surcharge: Money
    platform_fee: Money
    technician_pay: Money


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemOut, description=description, media_type="application/problem+json"
    )


class QuoteController(Controller):
    path = "/work-orders/{work_order_id:uuid}/quote"
    tags = ["pricing"]

    @get(
        "",
        operation_id="getQuote",
        guards=[requires(Role.CUSTOMER, Role.AGENT, Role.DISPATCHER, Role.ADMIN)],
        responses={
            401: _problem("Not signed in"),
            403: _problem("Technicians cannot read quotes"),
            404: _problem("No such work order, or not one of yours"),
        },
    )
    async def get_quote(
        self, work_order_id: WorkOrderId, principal: CurrentPrincipal, db_session: DbSession
    ) -> QuoteOut:
        """The work order's quote in minor units: base price for the category's standard
        duration, the adjustment for this order's duration, priority and tier surcharges, the
        amount (what booking authorises on the card), the platform fee and the technician's pay
        (amount - fee). Staff may read any order's quote; a customer only their own."""
        found = await get_quote(db_session, principal, work_order_id)
        q = found.quote

        def money(amount: int) -> Money:
            return Money(amount, q.currency)

        return QuoteOut(
            work_order_id=found.order.id,
            amount=money(q.price_minor),
            base=money(q.base_price_minor),
            standard_duration_s=q.standard_duration_s,
            duration_s=q.duration_s,
            duration_adjustment=money(q.duration_adjustment_minor),
            priority=q.priority,
            priority_surcharge=money(q.priority_surcharge_minor),
            tier=q.tier,
            tier_surcharge=money(q.tier_surcharge_minor),
            platform_fee=money(q.fee_minor),
            technician_pay=money(q.earnings_minor),
        )
