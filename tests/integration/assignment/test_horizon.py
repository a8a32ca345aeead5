"""A dispatch run sees tomorrow's booked visits whatever the hour it runs at.

Regression: the run used to look `now + 24 h` ahead, so at 00:30 UTC a visit booked for
tomorrow 10:00 (Amsterdam) inside a technician's 06:00-20:00 shift was outside the horizon
and the run reported `open_orders == 0`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.assignment import batch
from marketplace.assignment.config import DispatchConfig
from marketplace.bookings.models import Appointment
from marketplace.catalog.models import Skill
from marketplace.customers.models import Customer
from marketplace.settings import Settings
from marketplace.technicians.models import Shift, Technician, TechnicianSkill
from marketplace.work_orders.models import WorkOrder

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

SF = async_sessionmaker[AsyncSession]
AMS = ZoneInfo("Europe/Amsterdam")


def local(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=AMS).astimezone(UTC)


async def _tomorrows_visit(sf: SF, now: datetime) -> None:
    tomorrow = now.astimezone(AMS) + timedelta(days=1)
    async with sf() as s:
        s.add(Skill(code="hvac.repair", name="HVAC repair"))
        tech = Technician(display_name="Tara", status="active", home_lat=52.36, home_lng=4.90)
        customer = Customer(name="C")
        s.add_all([tech, customer])
        await s.flush()
        s.add(TechnicianSkill(technician_id=tech.id, skill_code="hvac.repair", level=2))
        s.add(Shift(technician_id=tech.id, starts_at=local(tomorrow, 6), ends_at=local(tomorrow, 20)))
        order = WorkOrder(
            source="api",
            customer_id=customer.id,
            lat=52.37,
            lng=4.9,
            summary="boiler",
            status="scheduled",
            required_skills=[{"code": "hvac.repair", "min_level": 2}],
            duration_s=3600,
            price_minor=9_000,
            fee_minor=1_350,
            created_at=now,
            updated_at=now,
        )
        s.add(order)
        await s.flush()
        s.add(
            Appointment(
                work_order_id=order.id,
                customer_id=customer.id,
                window_start=local(tomorrow, 10),
                window_end=local(tomorrow, 12),
                created_at=now,
            )
        )
        await s.commit()


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 2, 0, 30, tzinfo=UTC),  # the hour the rolling 24 h missed it
        datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # DST change days of Europe/Amsterdam
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    ],
)
async def test_a_run_at_any_hour_sees_tomorrows_booked_visit(
    session_factory: SF, settings: Settings, now: datetime
) -> None:
    await _tomorrows_visit(session_factory, now)
    async with session_factory() as s:
        summary = await batch.run_region(
            s,
            "default",
            settings=settings.model_copy(update={"solver_time_limit_s": 1.0}),
            config=DispatchConfig(),
            trigger="test",
            now=now,
        )
        await s.rollback()
    assert summary.open_orders == 1, summary.as_dict()
    assert summary.technicians == 1, summary.as_dict()
