"""Who may see a work order, and reading and listing them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.auth import Principal
from marketplace.errors import NotFound
from marketplace.pagination import keyset_page
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent
from marketplace.work_orders.state import lock_work_order

STAFF = frozenset({Role.AGENT, Role.DISPATCHER, Role.ADMIN})


def is_staff(principal: Principal) -> bool:
    return principal.role in STAFF


async def visible_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, lock: bool = False
) -> WorkOrder:
    """The order if `principal` may see it. Other people's orders are 404, not 403: their
    existence is not the caller's business."""
    order = await lock_work_order(session, order_id) if lock else await session.get(WorkOrder, order_id)
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


async def events_of(session: AsyncSession, order_id: uuid.UUID) -> list[WorkOrderEvent]:
    query = (
        select(WorkOrderEvent)
        .where(WorkOrderEvent.work_order_id == order_id)
        .order_by(col(WorkOrderEvent.at), col(WorkOrderEvent.id))
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: tuple[str, ...] = ()
    priority: int | None = None
    customer_id: uuid.UUID | None = None
    source: str | None = None
    sla_due_before: datetime | None = None


async def list_work_orders(
    session: AsyncSession, principal: Principal, filters: OrderFilter, *, cursor: str | None, limit: int
) -> tuple[list[WorkOrder], str | None]:
    """Newest first; customers see only their own orders whatever filter they send."""
    query = select(WorkOrder)
    if principal.role is Role.CUSTOMER:
        query = query.where(WorkOrder.customer_id == principal.customer_id)
    elif principal.role is Role.TECHNICIAN:
        query = query.where(WorkOrder.technician_id == principal.technician_id)
    if filters.customer_id is not None:
        query = query.where(WorkOrder.customer_id == filters.customer_id)
    if filters.status:
        query = query.where(col(WorkOrder.status).in_(filters.status))
    if filters.priority is not None:
        query = query.where(WorkOrder.priority == filters.priority)
    if filters.source is not None:
        query = query.where(WorkOrder.source == filters.source)
    if filters.sla_due_before is not None:
        query = query.where(col(WorkOrder.sla_due_at) < filters.sla_due_before)
    page = await keyset_page(
        session,
        query,
        sort_column=col(WorkOrder.created_at),
        id_column=col(WorkOrder.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda o: o.created_at,
        id_of=lambda o: o.id,
        descending=True,
    )
    return page.items, page.next_cursor
