"""Support's callback queue: customers who asked for a human, and work orders that dispatch
could not place in time (`needs_callback`), each waiting for someone to call and agree what
happens next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.bookings.service import live_appointment
from marketplace.errors import Forbidden
from marketplace.support import repository
from marketplace.support.models import CallbackRequest
from marketplace.support.service import list_callbacks
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent, WorkOrderStatus
from marketplace.work_orders.reads import is_staff, visible_order
from marketplace.work_orders.state import transition

S = WorkOrderStatus
QUEUE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class WaitingOrder:
    order: WorkOrder
    why: str | None  # the reason it went to needs_callback
    earliest_arrival: str | None  # the honest ETA dispatch found, when it found one
    since: datetime


@dataclass(frozen=True, slots=True)
class CallbackQueue:
    requests: list[CallbackRequest]
    orders: list[WaitingOrder]


def _staff_only(principal: Principal) -> None:
    if not is_staff(principal):
        raise Forbidden("Only support staff work the callback queue")


async def callback_queue(session: AsyncSession, principal: Principal) -> CallbackQueue:
    """Open callback requests (newest first) and `needs_callback` orders (longest waiting first)."""
    _staff_only(principal)
    orders = await repository.orders_needing_callback(session, limit=QUEUE_LENGTH)
    flagged: dict[uuid.UUID, WorkOrderEvent] = {}
    if orders:
        events = await repository.moves_to_needs_callback(session, [o.id for o in orders])
        flagged = {e.work_order_id: e for e in events}  # the latest wins
    waiting = [
        WaitingOrder(
            order=o,
            why=flagged[o.id].reason if o.id in flagged else None,
            earliest_arrival=flagged[o.id].data.get("earliest_arrival") if o.id in flagged else None,
            since=flagged[o.id].at if o.id in flagged else o.updated_at,
        )
        for o in orders
    ]
    requests = await list_callbacks(session, status="open", limit=QUEUE_LENGTH)
    return CallbackQueue(requests=requests, orders=waiting)


async def agree_outcome(
    session: AsyncSession, principal: Principal, work_order_id: uuid.UUID, *, outcome: str, now: datetime
) -> WorkOrder:
    """Support called about a `needs_callback` order and agreed how to go on: the order goes
    back to dispatch (`scheduled` when it has a booked window, else `triaged`) with the
    agreed outcome on its timeline. Safe to retry: an order no longer waiting is returned
    as it is."""
    _staff_only(principal)
    order = await visible_order(session, principal, work_order_id, lock=True)
    if order.status != S.NEEDS_CALLBACK:
        return order
    target = S.SCHEDULED if await live_appointment(session, order.id) is not None else S.TRIAGED
    await transition(
        session,
        order,
        target,
        actor=principal,
        reason=f"agreed on a call: {outcome}",
        data={"outcome": outcome},
        now=now,
    )
    return order
