"""Appointment reminders and "technician on the way" messages, through the Notifier.

Each message has a dedupe key derived from the appointment or assignment, so the cron can
run as often as it likes (or twice at once on two workers) and each customer hears once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.assignment.config import DispatchConfig
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.messages.notices import on_the_way_message, to_customer
from marketplace.messages.service import Outgoing
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, Notifier, customer_user_id
from marketplace.technicians.models import Technician
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus

S = WorkOrderStatus


@dataclass
class ReminderSweep:
    reminders: int = 0
    on_the_way: int = 0


async def send_reminders(
    session: AsyncSession, *, now: datetime, config: DispatchConfig, notifier: Notifier = DEFAULT_NOTIFIER
) -> ReminderSweep:
    sweep = ReminderSweep()
    soon = now + timedelta(seconds=config.reminder_before_s)
    rows = await session.execute(
        select(Appointment, WorkOrder)
        .join(WorkOrder, col(WorkOrder.id) == col(Appointment.work_order_id))
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.window_start) > now,
            col(Appointment.window_start) <= soon,
            col(WorkOrder.status).in_([S.SCHEDULED, S.OFFERED, S.ASSIGNED]),
        )
    )
    for appt, order in rows.all():
        user_id = await customer_user_id(session, order.customer_id)
        sent = await notifier.send(
            session,
            Message(
                dedupe_key=f"reminder:{appt.id}",
                kind="appointment.reminder",
                subject=(
                    f"Reminder: your visit is today between {appt.window_start:%H:%M} and "
                    f"{appt.window_end:%H:%M} UTC"
                ),
                body=order.summary,
                recipient_user_id=user_id,
                recipient_role=None if user_id else "customer",
                work_order_id=order.id,
                data={"window": [appt.window_start.isoformat(), appt.window_end.isoformat()]},
                outgoing=Outgoing(
                    to_customer(order.customer_id),
                    "appointment_reminder",
                    {
                        "summary": order.summary,
                        "window_start": appt.window_start,
                        "window_end": appt.window_end,
                    },
                    now=now,
                ),
            ),
            now=now,
        )
        sweep.reminders += int(sent)
    rows2 = await session.execute(
        select(WorkOrder, Technician)
        .join(Technician, col(Technician.id) == col(WorkOrder.technician_id))
        .where(WorkOrder.status == S.EN_ROUTE)
    )
    for order, tech in rows2.all():
        live = (
            await session.execute(
                select(Appointment).where(
                    Appointment.work_order_id == order.id, Appointment.status == AppointmentStatus.BOOKED
                )
            )
        ).scalar_one_or_none()
        eta = live.eta if live else None
        user_id = await customer_user_id(session, order.customer_id)
        sent = await notifier.send(
            session,
            Message(
                dedupe_key=f"on-the-way:{order.id}:{tech.id}",
                kind="visit.on_the_way",
                subject=f"{tech.display_name} is on the way"
                + (f", arriving about {eta:%H:%M} UTC" if eta else ""),
                recipient_user_id=user_id,
                recipient_role=None if user_id else "customer",
                work_order_id=order.id,
                data={"technician_id": str(tech.id), "eta": eta.isoformat() if eta else None},
                outgoing=on_the_way_message(order, tech, eta, now=now),
            ),
            now=now,
        )
        sweep.on_the_way += int(sent)
    return sweep
