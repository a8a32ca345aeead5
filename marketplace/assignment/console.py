"""Reads for the dispatcher console: each technician's current plan, SLA alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col, select

from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.notifications.models import Notification
from marketplace.technicians.models import Technician, TechnicianStatus
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus

S = WorkOrderStatus
# What plans and boards never read of an order: its JSON columns (support context, skill
# needs), which cost a JSON decode each. Deferred with raiseload, so a reader that starts
# needing one fails loudly instead of loading it row by row.
JSON_COLUMNS: tuple[Any, ...] = (
    WorkOrder.context,
    WorkOrder.required_skills,
    WorkOrder.required_certifications,
)
PLAN_VIEW = tuple(defer(column, raiseload=True) for column in JSON_COLUMNS)
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
    techs = list(
        (
            await session.execute(
                select(Technician)
                .where(Technician.region == region, Technician.status == TechnicianStatus.ACTIVE)
                .order_by(col(Technician.display_name))
            )
        ).scalars()
    )
    plans = {t.id: TechnicianPlan(t) for t in techs}
    if not plans:
        return []
    rows = await session.execute(
        select(Appointment, WorkOrder)
        .join(WorkOrder, col(WorkOrder.id) == col(Appointment.work_order_id))
        .options(*PLAN_VIEW)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.technician_id).in_(list(plans)),
            col(Appointment.window_end) > now - timedelta(hours=4),
            col(Appointment.window_start) < horizon_end,
            col(WorkOrder.status).in_(ON_PLAN),
        )
    )
    for appt, order in rows.all():
        assert appt.technician_id is not None
        plans[appt.technician_id].stops.append(PlanStop(order, appt))
    for plan in plans.values():
        plan.stops.sort(
            key=lambda s: s.appointment.eta or s.appointment.planned_arrival or s.appointment.window_start
        )
    return list(plans.values())


async def sla_alerts(session: AsyncSession, *, limit: int, kind: str | None = None) -> list[Notification]:
    kinds = [kind] if kind else list(ALERT_KINDS)
    return list(
        (
            await session.execute(
                select(Notification)
                .where(col(Notification.kind).in_(kinds))
                .order_by(col(Notification.created_at).desc(), col(Notification.id))
                .limit(limit)
            )
        ).scalars()
    )
