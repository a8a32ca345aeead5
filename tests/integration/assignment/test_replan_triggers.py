"""What makes the workers re-plan a technician's day: overruns and technicians gone quiet.

Cancellation and the end-to-end re-plan live in tests/e2e; these check the detection that
the periodic `dispatch.replan_sweep` relies on, on real PostgreSQL rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from marketplace.assignment.config import DispatchConfig
from marketplace.assignment.replan import changes_needing_replan
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.technicians.models import Technician
from marketplace.visits.models import VisitStep
from marketplace.work_orders.models import WorkOrder

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

SF = async_sessionmaker[AsyncSession]


async def _technician(session: AsyncSession, name: str, *, last_seen_min_ago: int | None) -> Technician:
    now = utcnow()
    tech = Technician(
        display_name=name,
        status="active",
        home_lat=52.37,
        home_lng=4.89,
        last_lat=52.37 if last_seen_min_ago is not None else None,
        last_lng=4.89 if last_seen_min_ago is not None else None,
        last_located_at=now - timedelta(minutes=last_seen_min_ago) if last_seen_min_ago is not None else None,
    )
    session.add(tech)
    await session.flush()
    return tech


async def _order(
    session: AsyncSession, tech: Technician, status: str, *, duration_s: int = 3600
) -> WorkOrder:
    customer = Customer(name="C")
    session.add(customer)
    await session.flush()
    order = WorkOrder(
        source="api",
        customer_id=customer.id,
        lat=52.37,
        lng=4.9,
        summary="visit",
        status=status,
        technician_id=tech.id,
        duration_s=duration_s,
        price_minor=9_000,
        fee_minor=1_350,
    )
    session.add(order)
    await session.flush()
    return order


async def test_overrun_and_quiet_technicians_are_detected_once_each(session_factory: SF) -> None:
    now = utcnow()
    async with session_factory() as s:
        overrunning = await _technician(s, "overrunning", last_seen_min_ago=1)
        late = await _order(s, overrunning, "on_site", duration_s=3600)
        s.add(
            VisitStep(
                work_order_id=late.id,
                technician_id=overrunning.id,
                assignment_key="a1",
                step="on_site",
                at=now - timedelta(minutes=90),
            )
        )
        on_time = await _technician(s, "on time", last_seen_min_ago=1)
        fine = await _order(s, on_time, "on_site", duration_s=3600)
        s.add(
            VisitStep(
                work_order_id=fine.id,
                technician_id=on_time.id,
                assignment_key="a2",
                step="on_site",
                at=now - timedelta(minutes=20),
            )
        )
        quiet = await _technician(s, "quiet", last_seen_min_ago=45)
        await _order(s, quiet, "assigned")
        await _order(s, quiet, "assigned")  # two visits: still one change for the technician
        idle_quiet = await _technician(s, "quiet but free", last_seen_min_ago=45)
        await _order(s, idle_quiet, "completed")
        await s.commit()

    config = DispatchConfig(offline_after_s=20 * 60)
    async with session_factory() as s:
        changes = await changes_needing_replan(s, now=utcnow(), config=config)
    by_tech = {(c.technician_id, c.reason, c.release_all) for c in changes}
    assert by_tech == {
        (overrunning.id, "the current visit is running over", False),
        (quiet.id, "the technician went offline", True),
    }
    # dedupe keys are stable within a sweep window, so a second sweep enqueues nothing new
    async with session_factory() as s:
        again = await changes_needing_replan(s, now=utcnow(), config=config)
    assert {c.dedupe_key for c in again} == {c.dedupe_key for c in changes}


async def test_reminders_and_on_the_way_messages_go_out_once(session_factory: SF) -> None:
    from marketplace.assignment.reminders import send_reminders
    from marketplace.bookings.models import Appointment
    from marketplace.notifications.models import Notification

    now = utcnow()
    async with session_factory() as s:
        tech = await _technician(s, "Tara", last_seen_min_ago=1)
        soon = await _order(s, tech, "scheduled")
        later = await _order(s, tech, "scheduled")
        driving = await _order(s, tech, "en_route")
        for order, hours in ((soon, 1), (later, 5)):
            s.add(
                Appointment(
                    work_order_id=order.id,
                    customer_id=order.customer_id,
                    window_start=now + timedelta(hours=hours),
                    window_end=now + timedelta(hours=hours + 2),
                )
            )
        await s.commit()

    config = DispatchConfig(reminder_before_s=2 * 3600)
    async with session_factory() as s:
        first = await send_reminders(s, now=now, config=config)
        await s.commit()
    async with session_factory() as s:
        second = await send_reminders(s, now=now, config=config)
        await s.commit()
        sent = (await s.execute(select(Notification.kind, Notification.work_order_id))).all()
    assert (first.reminders, first.on_the_way) == (1, 1)
    assert (second.reminders, second.on_the_way) == (0, 0)  # the cron may run as often as it likes
    assert sorted(sent) == sorted([("appointment.reminder", soon.id), ("visit.on_the_way", driving.id)])
