"""The demo customer's work orders for `make run`: one waiting to be booked, one booked for
tomorrow, one done yesterday, made through the escalation verb and the state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.customers.models import Customer
from marketplace.technicians.models import Technician
from marketplace.work_orders.escalation import escalate_ticket
from marketplace.work_orders.intake import CustomerRef, Escalation
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import transition

HELPDESK = "demo"
# ticket id, category, summary (all at the demo customer's home)
ORDERS = [
    ("DEMO-1", "no_heat", "Radiators stay cold since this morning"),
    ("DEMO-2", "leak", "Dripping pipe under the kitchen sink"),
    ("DEMO-3", "washer_fault", "Washing machine stops mid-cycle"),
]


@dataclass(frozen=True)
class Home:
    region: str
    address: str
    lat: float
    lng: float


async def _escalate(
    session: AsyncSession, customer: Customer, home: Home, index: int, *, now: datetime
) -> WorkOrder:
    ticket, category, summary = ORDERS[index]
    result = await escalate_ticket(
        session,
        Escalation(
            helpdesk=HELPDESK,
            ticket_id=ticket,
            customer=CustomerRef(external_id=str(customer.id), name=customer.name),
            customer_id=customer.id,
            summary=summary,
            category=category,
            lat=home.lat,
            lng=home.lng,
            address=home.address,
            priority=3,
            region=home.region,
        ),
        actor=None,
        now=now,
    )
    assert result.order is not None
    return result.order


async def seed_demo_orders(
    session: AsyncSession, customer: Customer, technician: Technician, *, now: datetime, tz: str, home: Home
) -> list[WorkOrder]:
    """Three orders of `customer` at `home`: triaged (to book), scheduled tomorrow, completed
    yesterday."""
    waiting = await _escalate(session, customer, home, 0, now=now)

    booked = await _escalate(session, customer, home, 1, now=now)
    tomorrow = (now.astimezone(ZoneInfo(tz)) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    session.add(
        Appointment(
            work_order_id=booked.id,
            customer_id=customer.id,
            window_start=tomorrow,
            window_end=tomorrow + timedelta(hours=2),
            created_at=now,
        )
    )
    await transition(session, booked, S.SCHEDULED, actor=None, now=now, reason="booked for the demo")

    yesterday = now - timedelta(days=1)
    done = await _escalate(session, customer, home, 2, now=yesterday - timedelta(hours=3))
    done.technician_id = technician.id
    session.add(
        Appointment(
            work_order_id=done.id,
            customer_id=customer.id,
            technician_id=technician.id,
            window_start=yesterday - timedelta(hours=1),
            window_end=yesterday + timedelta(hours=1),
            status=AppointmentStatus.DONE,
            created_at=yesterday - timedelta(hours=2),
        )
    )
    steps = [
        (S.SCHEDULED, timedelta(hours=2)),
        (S.ASSIGNED, timedelta(hours=1, minutes=30)),
        (S.EN_ROUTE, timedelta(minutes=40)),
        (S.ON_SITE, timedelta(minutes=10)),
        (S.COMPLETED, timedelta(minutes=-50)),
    ]
    for status, before in steps:
        await transition(session, done, status, actor=None, now=yesterday - before, reason="demo history")
    await session.flush()
    return [waiting, booked, done]
