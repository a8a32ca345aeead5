"""Quotes: the price of a work order and how it is made up."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import PathParameter

from api.deps import CurrentPrincipal, DbSession, Now
from marketplace.auth import requires
from marketplace.bookings.service import cancellation_preview
from marketplace.pricing.quotes import get_quote
from marketplace.users.models import Role

WorkOrderId = Annotated[uuid.UUID, PathParameter(description="Work order id")]


class Money(msgspec.Struct):
    amount: int
    currency: str


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
    cancellation_fee: Money | None = None
    free_cancellation_until: datetime | None = None


class QuoteController(Controller):
    path = "/work-orders/{work_order_id:uuid}/quote"
    tags = ["pricing"]

    @get(
        "",
        operation_id="getQuote",
        guards=[requires(Role.CUSTOMER, Role.AGENT, Role.DISPATCHER, Role.ADMIN)],
    )
    async def get_quote(
        self, now: Now, work_order_id: WorkOrderId, principal: CurrentPrincipal, db_session: DbSession
    ) -> QuoteOut:
        """The work order's quote in minor units: base price for the category's standard
        duration, the adjustment for this order's duration, priority and tier surcharges, the
        amount (what booking authorises on the card), the platform fee and the technician's pay
        (amount - fee). Staff may read any order's quote; a customer only their own (another's
        is 404; technicians get 403). With a booked window, `cancellation_fee` is what cancelling
        it now would cost the caller and `free_cancellation_until` when cancelling stops being
        free."""
        found = await get_quote(db_session, principal, work_order_id)
        cancelling = await cancellation_preview(db_session, principal, found.order, now=now)
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
            cancellation_fee=money(cancelling[0]) if cancelling else None,
            free_cancellation_until=cancelling[1] if cancelling else None,
        )
