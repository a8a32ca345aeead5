"""When the app may send the technician's position: on shift, or on the way to a visit. Never otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.technicians.shifts import list_shifts
from marketplace.visits.service import list_visits
from marketplace.work_orders.models import WorkOrderStatus


async def on_the_way(session: AsyncSession, principal: Principal) -> bool:
    active = await list_visits(session, principal, state="active", cursor=None, limit=100)
    return any(order.status == WorkOrderStatus.EN_ROUTE for order in active.items)


async def on_shift(session: AsyncSession, principal: Principal, *, now: datetime) -> bool:
    current = await list_shifts(
        session, principal, range_from=now, range_until=now + timedelta(seconds=1), cursor=None, limit=1
    )
    return bool(current.items)


async def location_wanted(session: AsyncSession, principal: Principal, *, now: datetime) -> bool:
    if principal.suspended:
        return False
    return await on_shift(session, principal, now=now) or await on_the_way(session, principal)
