"""Reading a work order's quote: staff see any order's, a customer only their own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import NotFound
from marketplace.pricing.service import Quote, quote_work_order
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.reads import is_staff, visible_order


@dataclass(frozen=True, slots=True)
class OrderQuote:
    order: WorkOrder
    quote: Quote


async def get_quote(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> OrderQuote:
    """The order's current quote: what a booking would authorise and the technician be paid."""
    if not (is_staff(principal) or principal.role is Role.CUSTOMER):
        raise NotFound("No such work order", work_order_id=str(order_id))
    order = await visible_order(session, principal, order_id)
    return OrderQuote(order, await quote_work_order(session, order))
