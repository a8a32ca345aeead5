"""Every pricing query, by name: what a quote reads of a work order's category and customer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.catalog.models import ServiceCategory
from marketplace.customers.models import Customer
from marketplace.work_orders.models import WorkOrder


async def order_category(session: AsyncSession, order: WorkOrder) -> ServiceCategory | None:
    """The order's service category; None when it has none."""
    return await session.get(ServiceCategory, order.category_code) if order.category_code else None


async def order_customer(session: AsyncSession, order: WorkOrder) -> Customer | None:
    return await session.get(Customer, order.customer_id)
