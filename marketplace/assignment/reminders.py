"""Appointment reminders and "technician on the way" messages, through the Notifier.

Each message has a dedupe key derived from the appointment or assignment, so the cron can
run as often as it likes (or twice at once on two workers) and each customer hears once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment import plan_repository
from marketplace.assignment.config import DispatchConfig
from marketplace.bookings.repository import live_appointment
from marketplace.messages.notices import on_the_way_message, to_customer
from marketplace.messages.service import Outgoing
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message, Notifier, customer_user_id
from marketplace.work_orders.models import WorkOrderStatus

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
    starting = await plan_repository.booked_windows_starting(
        session, after=now, until=soon, order_statuses=[S.SCHEDULED, S.OFFERED, S.ASSIGNED]
    )
    for appt, order in starting:
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
    for order, tech in await plan_repository.en_route_orders(session):
        live = await live_appointment(session, order.id)
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
