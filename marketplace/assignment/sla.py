"""SLA monitor: recompute each open order's risk from live ETAs; alert the agent before a
breach (at risk) and again on breach. Alerts are in-app + a signed helpdesk webhook, once
per order and due time (the dedupe key), however often the monitor runs.

Projected finish = the best current arrival estimate + the job's duration:
on site -> when they arrived; en route/assigned -> the live ETA (else the planned arrival);
booked but unassigned -> the planned arrival, else the window start; not booked -> unknown
(an urgent order still looking for a technician counts as at risk near its due time).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment import plan_repository, repository
from marketplace.assignment.config import DispatchConfig
from marketplace.messages import notices
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, Notifier
from marketplace.sla.policy import SlaRisk, assess
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from marketplace.work_orders.state import record_event

S = WorkOrderStatus
OPEN = (S.NEW, S.TRIAGED, S.SCHEDULED, S.OFFERED, S.ASSIGNED, S.EN_ROUTE, S.ON_SITE, S.NEEDS_CALLBACK)


@dataclass
class SlaSweep:
    checked: int = 0
    at_risk: list[str] = field(default_factory=list)
    breached: list[str] = field(default_factory=list)
    alerts_sent: int = 0


async def check_sla(
    session: AsyncSession,
    *,
    now: datetime,
    config: DispatchConfig,
    notifier: Notifier = DEFAULT_NOTIFIER,
    limit: int = 2000,
) -> SlaSweep:
    sweep = SlaSweep()
    horizon = now + timedelta(days=7)
    orders = await plan_repository.orders_due_by(session, OPEN, due_by=horizon, limit=limit)
    appointments = await repository.live_appointments(session, [o.id for o in orders])
    arrived = await repository.on_site_since(session, [o.id for o in orders if o.status == S.ON_SITE])
    for order in orders:
        assert order.sla_due_at is not None
        sweep.checked += 1
        appt = appointments.get(order.id)
        start: datetime | None = None
        if order.status == S.ON_SITE:
            start = arrived.get(order.id, now)
        elif appt is not None:
            start = appt.eta or appt.planned_arrival or appt.window_start
            if order.status in (S.ASSIGNED, S.EN_ROUTE, S.SCHEDULED, S.OFFERED) and start < now:
                start = now  # late already: cannot start before now
        projected = start + timedelta(seconds=order.duration_s) if start else None
        unplaceable = order.status == S.NEEDS_CALLBACK
        risk = assess(
            now=now, sla_due_at=order.sla_due_at, projected_finish=projected, unplaceable=unplaceable
        )
        if risk is SlaRisk.ON_TRACK:
            continue
        if risk is SlaRisk.AT_RISK:
            certain = projected is not None and projected > order.sla_due_at
            if not certain and order.sla_due_at - now > timedelta(seconds=config.sla_warn_before_s):
                continue  # no estimate yet and still far from due: not worth a page
            sweep.at_risk.append(str(order.id))
        else:
            sweep.breached.append(str(order.id))
        if await _alert(session, order, risk, projected, now=now, notifier=notifier):
            sweep.alerts_sent += 1
    return sweep


async def _alert(
    session: AsyncSession,
    order: WorkOrder,
    risk: SlaRisk,
    projected: datetime | None,
    *,
    now: datetime,
    notifier: Notifier,
) -> bool:
    assert order.sla_due_at is not None
    due = order.sla_due_at.isoformat()
    data = {
        "risk": risk.value,
        "sla_due_at": due,
        "projected_finish": projected.isoformat() if projected else None,
        "status": order.status,
        "technician_id": str(order.technician_id) if order.technician_id else None,
        "helpdesk_ticket": order.external_ref,
    }
    if risk is SlaRisk.AT_RISK:
        when = f"projected finish {projected:%H:%M} UTC" if projected else "no technician confirmed yet"
        subject = f"SLA at risk (due {order.sla_due_at:%H:%M} UTC, {when}): {order.summary[:100]}"
    else:
        subject = f"SLA breached (was due {order.sla_due_at:%H:%M} UTC): {order.summary[:100]}"
    sent = await notifier.send(
        session,
        Message(
            dedupe_key=f"sla-{risk.value}:{order.id}:{due}",
            kind=f"sla.{risk.value}",
            subject=subject,
            body=order.summary,
            recipient_role=Role.AGENT.value,
            work_order_id=order.id,
            data=data,
        ),
        now=now,
    )
    if sent:
        await record_event(
            session, order, f"sla_{risk.value}", actor=None, reason=subject[:500], data=data, now=now
        )
    late = projected is not None and projected > order.sla_due_at
    if risk is SlaRisk.AT_RISK and late and projected is not None and order.status != S.ON_SITE:
        # the customer hears it too, with the honest new arrival time
        await notices.sla_apology(session, order, projected - timedelta(seconds=order.duration_s), now=now)
    return sent


def order_ids(values: list[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]
