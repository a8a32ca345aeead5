"""What makes the workers re-plan a technician's day: overruns and technicians gone quiet.

Cancellation and the end-to-end re-plan live in tests/e2e; these check the detection that
the periodic `dispatch.replan_sweep` relies on, on real PostgreSQL rows.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.customers.models import Customer
from marketplace.dispatching.config import DispatchConfig
from marketplace.dispatching.replan import changes_needing_replan
from marketplace.technicians.models import Technician
from marketplace.timeutil import utcnow
from marketplace.visits.models import VisitStep
from marketplace.work_orders.models import WorkOrder

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
