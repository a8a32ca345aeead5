"""From readings to visits: one work order per device problem, trends before the crossing,
silence as an alert and never a visit; roll-up of old raw readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import unit_of_work
from marketplace.devices.evaluation import detect_silence, evaluate_device, roll_up
from marketplace.devices.models import HourlyReading
from marketplace.notifications.models import Notification
from marketplace.settings import Settings
from tests.factories import Factory
from tests.integration.devices.helpers import (
    SF,
    device_orders,
    put_rule,
    readings,
    register_boiler,
    stored_readings,
)
from workers.context import TaskContext
from workers.tasks.devices import sweep_devices


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def _notifications(sf: SF, kind: str) -> list[Notification]:
    async with sf() as s:
        return list((await s.execute(sa.select(Notification).where(Notification.kind == kind))).scalars())


async def test_a_threshold_alert_opens_one_work_order_and_ten_more_attach_to_it(
    app: Litestar, client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    await put_rule(
        client, boiler.admin, "pressure", "threshold", comparison="below", threshold=1.0, duration_s=600
    )
    now = _now() - timedelta(minutes=15)  # room for ten more minutes of readings
    points = [(now - timedelta(minutes=20 - i), 1.4 if i < 5 else 0.7) for i in range(20)]
    response = await client.post(
        "/telemetry", json=readings("pressure", "bar", points), headers=boiler.headers
    )
    assert response.status_code == 200 and response.json()["evaluation_queued"] is True
    await app.state.queue.drain()  # the evaluation the intake queued, in-process

    orders = await device_orders(session_factory)
    assert len(orders) == 1
    order = orders[0]
    assert order.external_ref == f"device:{boiler.id}:pressure-low:1"
    assert order.customer_id == boiler.owner.user.customer_id
    assert order.category_code == "boiler-fault"
    assert order.required_skills == [{"code": "hvac.repair", "min_level": 2}]
    assert order.priority == 1  # failing now
    device_context = order.context["entries"][0]["device"]
    assert device_context["rule"] == "threshold" and device_context["last_value"] == 0.7
    assert len(device_context["readings"]) == 20

    for i in range(10):  # ten more alerts for the same problem, with new readings each time
        later = now + timedelta(minutes=i + 1)
        response = await client.post(
            "/telemetry", json=readings("pressure", "bar", [(later, 0.6 - 0.01 * i)]), headers=boiler.headers
        )
        assert response.status_code == 200
        async with unit_of_work(session_factory) as session:
            alerts = await evaluate_device(session, boiler.id, now=later)
        assert [a.outcome for a in alerts] == ["existing"] and alerts[0].work_order_id == order.id
    await app.state.queue.drain()

    orders = await device_orders(session_factory)
    assert [o.id for o in orders] == [order.id]
    assert len(orders[0].context["entries"]) == 11  # every alert attached its readings
    told = await _notifications(session_factory, "device.visit_proposed")
    assert len(told) == 1 and told[0].recipient_user_id == boiler.owner.user.id
    assert told[0].work_order_id == order.id


async def test_a_closed_problem_reopens_as_a_new_order(
    app: Litestar, client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    await put_rule(
        client, boiler.admin, "pressure", "threshold", comparison="below", threshold=1.0, duration_s=0
    )
    now = _now()
    await client.post("/telemetry", json=readings("pressure", "bar", [(now, 0.5)]), headers=boiler.headers)
    await app.state.queue.drain()  # the evaluation the intake queued opens episode 1 first
    async with unit_of_work(session_factory) as session:
        first = await evaluate_device(session, boiler.id, now=now)
    async with unit_of_work(session_factory) as session:
        await session.execute(
            sa.text("UPDATE work_orders SET status = 'completed' WHERE id = :id"),
            {"id": first[0].work_order_id},
        )
    async with unit_of_work(session_factory) as session:
        second = await evaluate_device(session, boiler.id, now=now + timedelta(minutes=1))
    assert second[0].outcome == "created" and second[0].work_order_id != first[0].work_order_id
    refs = sorted(o.external_ref or "" for o in await device_orders(session_factory))
    assert refs == [f"device:{boiler.id}:pressure-low:1", f"device:{boiler.id}:pressure-low:2"]


async def test_a_falling_trend_opens_a_work_order_before_the_crossing(
    client: AsyncTestClient, factory: Factory, session_factory: SF, settings: Settings, engine: object
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    await put_rule(
        client, boiler.admin, "pressure", "threshold", comparison="below", threshold=1.0, duration_s=600
    )
    await put_rule(
        client,
        boiler.admin,
        "pressure",
        "trend",
        comparison="below",
        threshold=1.0,
        window_s=6 * 3600,
        lead_s=3 * 86400,
        min_points=30,
    )
    now = _now()
    start = now - timedelta(hours=2)
    # 1.6 bar losing 0.05 bar an hour, with sensor noise and two glitches: 1.0 bar at start + 12 h
    points = [
        (start + timedelta(minutes=m), 1.6 - 0.05 * m / 60 + (0.01 if m % 2 else -0.01)) for m in range(121)
    ]
    points[30] = (points[30][0], 3.0)
    points[70] = (points[70][0], 1.02)
    response = await client.post(
        "/telemetry", json=readings("pressure", "bar", points), headers=boiler.headers
    )
    assert response.status_code == 200
    assert response.json()["evaluation_queued"] is False  # nothing below 1.0 yet: no order
    assert await device_orders(session_factory) == []

    ctx = TaskContext(settings=settings, engine=engine, session_factory=session_factory)  # type: ignore[arg-type]
    assert await sweep_devices(ctx) == 1  # the periodic sweep fits the trend

    orders = await device_orders(session_factory)
    assert len(orders) == 1
    order = orders[0]
    context = order.context["entries"][0]["device"]
    assert context["rule"] == "trend"
    predicted = datetime.fromisoformat(context["predicted_failure_at"])
    expected = start + timedelta(hours=12)
    assert abs((predicted - expected).total_seconds()) < 1800, (predicted, expected)
    assert predicted > now  # opened before the crossing
    assert order.sla_due_at is not None and order.sla_due_at <= predicted
    assert order.priority == 2  # about ten hours left
    assert "falling" in order.summary
    told = await _notifications(session_factory, "device.visit_proposed")
    assert len(told) == 1 and "likely to fail" in told[0].body
    assert told[0].data["predicted_failure_at"] == context["predicted_failure_at"]

    # the sweep does not re-fit a device it has just evaluated
    assert await sweep_devices(ctx) == 0
    assert len(await device_orders(session_factory)) == 1


async def test_a_silent_device_raises_an_alert_not_a_visit(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    await put_rule(client, boiler.admin, "*", "silence", duration_s=3600)
    now = _now()
    await client.post(
        "/telemetry",
        json=readings("pressure", "bar", [(now - timedelta(hours=2), 1.5)]),
        headers=boiler.headers,
    )
    async with unit_of_work(session_factory) as session:
        assert await detect_silence(session, now=now - timedelta(minutes=90)) == []  # quiet 30 min: fine
    async with unit_of_work(session_factory) as session:
        assert await detect_silence(session, now=now) == [boiler.id]
    async with unit_of_work(session_factory) as session:
        assert await detect_silence(session, now=now + timedelta(hours=1)) == []  # told once per spell

    alerts = await _notifications(session_factory, "device.silent")
    assert len(alerts) == 1 and alerts[0].recipient_user_id == boiler.owner.user.id
    assert alerts[0].work_order_id is None
    assert await device_orders(session_factory) == []

    # it comes back, then goes quiet again: a new alert
    await client.post("/telemetry", json=readings("pressure", "bar", [(now, 1.5)]), headers=boiler.headers)
    async with unit_of_work(session_factory) as session:
        assert await detect_silence(session, now=now + timedelta(hours=2)) == [boiler.id]
    assert len(await _notifications(session_factory, "device.silent")) == 2
    assert await device_orders(session_factory) == []


async def test_old_readings_roll_up_into_hours_and_late_ones_merge(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    now = _now()
    hour = (now - timedelta(days=8)).replace(minute=0, second=0)
    first = [(hour + timedelta(minutes=m), float(m)) for m in range(0, 60, 10)]  # 0..50
    await client.post("/telemetry", json=readings("pressure", "bar", first), headers=boiler.headers)
    recent = [(now - timedelta(minutes=1), 1.0)]
    await client.post("/telemetry", json=readings("pressure", "bar", recent), headers=boiler.headers)
    async with unit_of_work(session_factory) as session:
        assert await roll_up(session, now=now, keep_raw=timedelta(days=7)) == 6
    async with unit_of_work(session_factory) as session:
        assert await roll_up(session, now=now, keep_raw=timedelta(days=7)) == 0  # idempotent
    late = [(hour + timedelta(minutes=5), 100.0)]
    await client.post("/telemetry", json=readings("pressure", "bar", late), headers=boiler.headers)
    async with unit_of_work(session_factory) as session:
        assert await roll_up(session, now=now, keep_raw=timedelta(days=7)) == 1
    async with session_factory() as session:
        rows = list((await session.execute(sa.select(HourlyReading))).scalars())
    assert [(r.count, r.total, r.minimum, r.maximum) for r in rows] == [(7, 250.0, 0.0, 100.0)]
    assert rows[0].hour == hour
    assert await stored_readings(session_factory, boiler.id) == 1  # the recent one stays raw
