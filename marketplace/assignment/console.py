"""Reads for the dispatcher console: each technician's current plan, SLA alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment import plan_repository
from marketplace.bookings.models import Appointment
from marketplace.notifications.models import Notification
from marketplace.technicians.models import Technician
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus

S = WorkOrderStatus
ALERT_KINDS = ("sla.at_risk", "sla.breached", "dispatch.escalated", "work_order.offers_exhausted")
ON_PLAN = (S.SCHEDULED, S.OFFERED, S.ASSIGNED, S.EN_ROUTE, S.ON_SITE)


@dataclass
class PlanStop:
    order: WorkOrder
    appointment: Appointment


@dataclass
class TechnicianPlan:
    technician: Technician
    stops: list[PlanStop] = field(default_factory=list)


async def technician_plans(
    session: AsyncSession, region: str, *, now: datetime, horizon_end: datetime
) -> list[TechnicianPlan]:
    """Every active technician of the region with the visits on their plan (assigned or
    reserved), in planned order, from now to the horizon."""
    techs = await plan_repository.active_technicians_by_name(session, region)
    plans = {t.id: TechnicianPlan(t) for t in techs}
    if not plans:
        return []
    visits = await plan_repository.booked_visits_of(
        session,
        list(plans),
        ends_after=now - timedelta(hours=4),
        starts_before=horizon_end,
        order_statuses=ON_PLAN,
    )
    for appt, order in visits:
        assert appt.technician_id is not None
        plans[appt.technician_id].stops.append(PlanStop(order, appt))
    for plan in plans.values():
        plan.stops.sort(
            key=lambda s: s.appointment.eta or s.appointment.planned_arrival or s.appointment.window_start
        )
    return list(plans.values())


async def sla_alerts(session: AsyncSession, *, limit: int, kind: str | None = None) -> list[Notification]:
    """The latest alerts for dispatchers (of `kind` only, when given), newest first."""
    kinds = [kind] if kind else list(ALERT_KINDS)
    return await plan_repository.notifications_of_kinds(session, kinds, limit=limit)
