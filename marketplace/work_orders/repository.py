"""Every work-order query, by name: work orders and their events, and what intake reads of
customers, categories and skills."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from marketplace.auth import Principal
from marketplace.catalog.models import ServiceCategory, Skill
from marketplace.customers.models import Customer
from marketplace.customers.repository import customer as customer
from marketplace.db_dialect import row_for_update
from marketplace.pagination import Page, page_of
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: tuple[str, ...] = ()
    priority: int | None = None
    customer_id: uuid.UUID | None = None
    source: str | None = None
    sla_due_before: datetime | None = None


async def work_order(session: AsyncSession, order_id: uuid.UUID) -> WorkOrder | None:
    """The order (from the session when already loaded), unlocked."""
    return await session.get(WorkOrder, order_id)


async def locked_work_order(session: AsyncSession, order_id: uuid.UUID) -> WorkOrder | None:
    """The order, read afresh and row-locked on PostgreSQL."""
    return await row_for_update(session, WorkOrder, order_id)


async def order_id_for_ticket(session: AsyncSession, source: str, external_ref: str) -> uuid.UUID | None:
    """The order escalated from this (source, external ref), by its unique key."""
    query = select(WorkOrder.id).where(WorkOrder.source == source, WorkOrder.external_ref == external_ref)
    return (await session.execute(query)).scalar_one_or_none()


async def events_of(session: AsyncSession, order_id: uuid.UUID) -> list[WorkOrderEvent]:
    """The order's history, oldest first."""
    query = (
        select(WorkOrderEvent)
        .where(WorkOrderEvent.work_order_id == order_id)
        .order_by(col(WorkOrderEvent.at), col(WorkOrderEvent.id))
    )
    return list((await session.execute(query)).scalars())


async def work_orders_page(
    session: AsyncSession, principal: Principal, filters: OrderFilter, *, cursor: str | None, limit: int
) -> Page[WorkOrder]:
    """One page of orders matching `filters`, newest first; a customer's or a technician's
    page holds only their own orders."""
    query: SelectOfScalar[WorkOrder] = select(WorkOrder)
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
    return await page_of(session, query, WorkOrder, cursor=cursor, limit=limit)


def _helpdesk_customer(helpdesk: str, external_id: str) -> SelectOfScalar[Customer]:
    return select(Customer).where(Customer.external_source == helpdesk, Customer.external_ref == external_id)


async def helpdesk_customer(session: AsyncSession, helpdesk: str, external_id: str) -> Customer | None:
    """The customer a helpdesk knows by `external_id`, if any."""
    return (await session.execute(_helpdesk_customer(helpdesk, external_id))).scalar_one_or_none()


async def existing_helpdesk_customer(session: AsyncSession, helpdesk: str, external_id: str) -> Customer:
    """The customer a helpdesk knows by `external_id`; `NoResultFound` when there is none."""
    return (await session.execute(_helpdesk_customer(helpdesk, external_id))).scalar_one()


async def category(session: AsyncSession, code: str) -> ServiceCategory | None:
    return await session.get(ServiceCategory, code)


async def known_skill_codes(session: AsyncSession, codes: list[str]) -> set[str]:
    """Which of `codes` name a skill in the catalogue."""
    query = select(Skill.code).where(col(Skill.code).in_(codes))
    return set((await session.execute(query)).scalars())
