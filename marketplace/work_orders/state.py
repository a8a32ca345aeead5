"""The work-order state machine. Every status change goes through `transition`.

An illegal move raises `IllegalTransition` (a 409 problem), never a silent overwrite;
each move writes a `WorkOrderEvent` (who, when, from, to, why). Callers that race on the
same order should lock it first (`lock_work_order`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import IllegalTransition, NotFound
from marketplace.work_orders import repository
from marketplace.work_orders.models import WorkOrder, WorkOrderEvent
from marketplace.work_orders.models import WorkOrderStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.TRIAGED, S.SCHEDULED, S.CANCELLED, S.NEEDS_CALLBACK}),
    S.TRIAGED: frozenset({S.SCHEDULED, S.OFFERED, S.CANCELLED, S.NEEDS_CALLBACK}),
    S.SCHEDULED: frozenset({S.OFFERED, S.ASSIGNED, S.SCHEDULED, S.CANCELLED, S.NEEDS_CALLBACK}),
    S.OFFERED: frozenset({S.ASSIGNED, S.SCHEDULED, S.CANCELLED, S.NEEDS_CALLBACK}),
    S.ASSIGNED: frozenset({S.EN_ROUTE, S.SCHEDULED, S.OFFERED, S.CANCELLED, S.NEEDS_CALLBACK}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.ASSIGNED, S.FAILED, S.CANCELLED}),
    S.ON_SITE: frozenset({S.COMPLETED, S.FAILED}),
    S.NEEDS_CALLBACK: frozenset({S.TRIAGED, S.SCHEDULED, S.OFFERED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset({S.SCHEDULED, S.NEEDS_CALLBACK}),
}

TERMINAL = frozenset({S.COMPLETED, S.CANCELLED})


def can_transition(current: str, target: str) -> bool:
    return S(target) in ALLOWED[S(current)]


async def lock_work_order(session: AsyncSession, work_order_id: uuid.UUID) -> WorkOrder:
    """Load the order, row-locked on PostgreSQL, for a read-check-write."""
    order = await repository.locked_work_order(session, work_order_id)
    if order is None:
        raise NotFound("No such work order", work_order_id=str(work_order_id))
    return order


_LAST_EVENT_AT = "fieldhand.work_order_events.last_at"


def _event_time(session: AsyncSession, order_id: uuid.UUID, now: datetime) -> datetime:
    """`now`, nudged by a microsecond per earlier event of the order in this unit of work, so
    the events of one request (which share one `now`) keep the order they happened in."""
    last: dict[uuid.UUID, datetime] = session.info.setdefault(_LAST_EVENT_AT, {})
    at = now if order_id not in last else max(now, last[order_id] + timedelta(microseconds=1))
    last[order_id] = at
    return at


async def transition(
    session: AsyncSession,
    order: WorkOrder,
    target: S,
    *,
    actor: Principal | None,
    now: datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    current = S(order.status)
    if target not in ALLOWED[current]:
        raise IllegalTransition(
            f"A work order cannot go from {current.value} to {target.value}",
            current_status=current.value,
            requested_status=target.value,
        )
    order.status = target.value
    order.updated_at = now
    return await _append(
        session,
        order,
        "transition",
        actor=actor,
        now=now,
        reason=reason,
        data=data,
        moved=(current.value, target.value),
    )


async def record_event(
    session: AsyncSession,
    order: WorkOrder,
    kind: str,
    *,
    actor: Principal | None,
    now: datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    """A notable change that is not a status move (context appended, expedite, ETA...)."""
    return await _append(session, order, kind, actor=actor, now=now, reason=reason, data=data)


async def _append(
    session: AsyncSession,
    order: WorkOrder,
    kind: str,
    *,
    actor: Principal | None,
    now: datetime,
    reason: str | None,
    data: dict[str, Any] | None,
    moved: tuple[str, str] | None = None,
) -> WorkOrderEvent:
    """One line of the order's timeline: who (or the system), when, why."""
    event = WorkOrderEvent(
        work_order_id=order.id,
        at=_event_time(session, order.id, now),
        kind=kind,
        from_status=moved[0] if moved else None,
        to_status=moved[1] if moved else None,
        actor_user_id=actor.user_id if actor else None,
        actor_role=actor.role.value if actor else "system",
        reason=reason,
        data=data or {},
    )
    session.add(event)
    await session.flush()
    return event
