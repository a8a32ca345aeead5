"""Who may see a work order, and reading and listing them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import NotFound
from marketplace.users.models import Role
from marketplace.work_orders import repository
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.repository import OrderFilter as OrderFilter
from marketplace.work_orders.repository import events_of as events_of
from marketplace.work_orders.state import lock_work_order

STAFF = frozenset({Role.AGENT, Role.DISPATCHER, Role.ADMIN})


def is_staff(principal: Principal) -> bool:
    return principal.role in STAFF


async def visible_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, lock: bool = False
) -> WorkOrder:
    """The order if `principal` may see it. Other people's orders are 404, not 403: their
    existence is not the caller's business."""
    if lock:
        order: WorkOrder | None = await lock_work_order(session, order_id)
    else:
        order = await repository.work_order(session, order_id)
    if order is None or not _may_see(principal, order):
        raise NotFound("No such work order", work_order_id=str(order_id))
    return order


def _may_see(principal: Principal, order: WorkOrder) -> bool:
    if is_staff(principal):
        return True
    if principal.role is Role.CUSTOMER:
        return principal.customer_id is not None and order.customer_id == principal.customer_id
    if principal.role is Role.TECHNICIAN:
        return principal.technician_id is not None and order.technician_id == principal.technician_id
    return False


async def list_work_orders(
    session: AsyncSession, principal: Principal, filters: OrderFilter, *, cursor: str | None, limit: int
) -> tuple[list[WorkOrder], str | None]:
    """Newest first; customers see only their own orders whatever filter they send."""
    page = await repository.work_orders_page(session, principal, filters, cursor=cursor, limit=limit)
    return page.items, page.next_cursor
