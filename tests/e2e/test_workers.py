"""Workers on their own: offer expiry cascades, re-planning after a cancellation, SLA
alerts (signed webhooks) before and on breach, all through real arq workers on Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from arq import create_pool
from arq.connections import RedisSettings
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from marketplace.assignment.config import DispatchConfig
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.notifications.models import Notification
from marketplace.notifications.webhooks import WebhookConfig, verify
from marketplace.offers.models import Offer
from marketplace.outbox import OutboxStatus
from marketplace.settings import Settings
from marketplace.timeutil import to_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from tests.conftest import REDIS_URL
from tests.e2e.helpers import (
    SF,
    customer,
    escalation,
    outbox_rows,
    run_worker,
    seed_catalog,
    technician,
    tomorrow_local,
)
from tests.factories import Factory
from workers.context import TaskContext
from workers.queue import ArqQueue
from workers.tasks import assignment as dispatch_tasks
from workers.tasks import sla as sla_tasks
from workers.tasks._uow import CONFIG_KEY
from workers.tasks.reminders import WEBHOOK_CONFIG_KEY

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

SECRET = "helpdesk-test-secret"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A helpdesk that records our webhooks (and checks their signatures)."""
    got: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        got.append(
            {
                "valid": verify(
                    SECRET,
                    timestamp=request.headers.get("X-Fieldhand-Timestamp"),
                    signature=request.headers.get("X-Fieldhand-Signature"),
                    body=body,
                    now=to_epoch(utcnow()),
                ),
                "event_id": request.headers.get("X-Fieldhand-Event-Id"),
                "body": json.loads(body),
            }
        )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hooks", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/hooks", got
    await runner.cleanup()


def extras(hook_url: str | None = None, **config: Any) -> dict[str, Any]:
    out: dict[str, Any] = {CONFIG_KEY: DispatchConfig(**config)}
    out[WEBHOOK_CONFIG_KEY] = WebhookConfig(helpdesk_webhook_url=hook_url, helpdesk_webhook_secret=SECRET)
    return out


@pytest.fixture
async def task_ctx(
    e2e_settings: Settings, engine: AsyncEngine, session_factory: SF
) -> AsyncIterator[TaskContext]:
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    ctx = TaskContext(
        settings=e2e_settings,
        engine=engine,
        session_factory=session_factory,
        queue=ArqQueue(redis, e2e_settings.queue_name),
    )
    yield ctx
    await redis.aclose()


def now_shift() -> list[tuple[datetime, datetime]]:
    now = datetime.now(UTC)
    return [(now - timedelta(hours=1), now + timedelta(hours=8))]


async def test_offer_expiry_cascades_to_next_candidate_then_escalates(
    e2e_client: AsyncTestClient,
    e2e_settings: Settings,
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
) -> None:
    await seed_catalog(session_factory)
    near = await technician(
        session_factory, e2e_settings, name="Near", at=(52.371, 4.891), shifts=now_shift()
    )
    second = await technician(
        session_factory, e2e_settings, name="Second", at=(52.36, 4.92), shifts=now_shift()
    )
    wrong = await technician(
        session_factory, e2e_settings, name="Wrong", at=(52.370, 4.890), shifts=now_shift(), level=1
    )
    agent = await factory.login(Role.AGENT)
    r = await e2e_client.post(
        "/escalations", json=escalation("T-9", "C-9", priority=1), headers=agent.headers
    )
    assert r.status_code == 201, r.text
    order_id = r.json()["work_order"]["id"]
    assert r.json()["work_order"]["status"] == "triaged"
    task_ctx.extras.update(extras(misses_before_widen=3, misses_before_escalate=5))

    async def offers() -> list[Offer]:
        async with session_factory() as s:
            q = select(Offer).where(col(Offer.work_order_id) == order_id).order_by(col(Offer.created_at))
            return list((await s.execute(q)).scalars())

    assert await dispatch_tasks.sweep_urgent_orders(task_ctx) == 1
    assert await dispatch_tasks.sweep_urgent_orders(task_ctx) == 1  # same state: same dedupe key, no new task
    await run_worker(e2e_settings, extras=extras())
    first = await offers()
    assert [(o.technician_id, o.status) for o in first] == [(near.user.technician_id, "pending")]
    assert first[0].expires_at - first[0].created_at <= timedelta(seconds=130)  # short, targeted

    # nobody answers: the offer expires and the next candidate is asked, alone
    async with unit_of_work(session_factory) as s:
        row = await s.get(Offer, first[0].id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert await dispatch_tasks.expire_offers(task_ctx) == 1
    await run_worker(e2e_settings, extras=extras())
    cascade = await offers()
    assert [(o.technician_id, o.status) for o in cascade] == [
        (near.user.technician_id, "expired"),
        (second.user.technician_id, "pending"),
    ]

    # the second declines; nobody qualified is left, even with a wider radius: a human takes over
    r = await e2e_client.post(
        f"/mobile/v1/offers/{cascade[1].id}/decline",
        json={"reason": "stuck in traffic"},
        headers=second.headers,
    )
    assert r.status_code == 200, r.text
    await run_worker(e2e_settings, extras=extras())
    assert all(o.technician_id != wrong.user.technician_id for o in await offers())  # never the wrong person
    async with session_factory() as s:
        order = await s.get(WorkOrder, order_id)
        assert order is not None and order.status == "needs_callback"
        alerts = list(
            (await s.execute(select(Notification).where(Notification.kind == "dispatch.escalated"))).scalars()
        )
        assert len(alerts) == 1 and alerts[0].recipient_role == "agent"


async def test_sla_risk_alert_before_breach_and_on_breach_signed_webhooks(
    e2e_client: AsyncTestClient,
    e2e_settings: Settings,
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    url, got = receiver
    await seed_catalog(session_factory)
    later = datetime.now(UTC) + timedelta(days=2)
    await technician(
        session_factory,
        e2e_settings,
        name="Busy",
        at=(52.37, 4.9),
        shifts=[(later, later + timedelta(hours=6))],
    )
    agent = await factory.login(Role.AGENT)
    due = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    r = await e2e_client.post(
        "/escalations",
        json=escalation("T-5", "C-5", priority=2, sla_due_at=due.isoformat()),
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    order_id = r.json()["work_order"]["id"]
    task_ctx.extras.update(extras(url, sla_warn_before_s=4 * 3600))

    sweep = await sla_tasks.monitor_sla(task_ctx)
    assert sweep.at_risk == [order_id] and sweep.alerts_sent == 1
    again = await sla_tasks.monitor_sla(task_ctx)
    assert again.alerts_sent == 0  # once per order and due time
    await run_worker(e2e_settings, extras=extras(url))
    assert [g["body"]["type"] for g in got] == ["sla.at_risk"]
    assert got[0]["valid"] and got[0]["body"]["work_order_id"] == order_id

    async with unit_of_work(session_factory) as s:  # time passes: the due time is behind us
        order = await s.get(WorkOrder, order_id)
        assert order is not None
        order.sla_due_at = utcnow() - timedelta(minutes=1)
    sweep = await sla_tasks.monitor_sla(task_ctx)
    assert sweep.breached == [order_id]
    await run_worker(e2e_settings, extras=extras(url))
    assert [g["body"]["type"] for g in got] == ["sla.at_risk", "sla.breached"]
    assert all(g["valid"] for g in got)
    listed = (await e2e_client.get("/dispatch/sla-alerts", headers=agent.headers)).json()["items"]
    assert {a["kind"] for a in listed} >= {"sla.at_risk", "sla.breached"}


async def test_failing_webhook_is_retried_with_backoff(
    e2e_settings: Settings, engine: AsyncEngine, session_factory: SF
) -> None:
    from arq import Retry

    from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
    from workers.runner import execute_task

    async with unit_of_work(session_factory) as s:
        await DEFAULT_NOTIFIER.send(
            s, Message(dedupe_key="hook-1", kind="test", subject="hi", recipient_role="agent"), now=utcnow()
        )
    [row] = await outbox_rows(session_factory, "notifications.webhook")
    ctx = TaskContext(settings=e2e_settings, engine=engine, session_factory=session_factory, queue=None)
    ctx.extras.update(extras("http://127.0.0.1:9/nowhere"))  # nothing listens there
    delays = []
    for _ in range(3):
        with pytest.raises(Retry) as retry:
            await execute_task(ctx, row.id)
        delays.append(retry.value.defer_score)
    assert delays == sorted(delays) and delays[0] < delays[-1]  # exponential backoff
    [row] = await outbox_rows(session_factory, "notifications.webhook")
    assert row.status != OutboxStatus.DONE and row.attempts == 3
    assert (row.last_error or "").startswith("retry requested: TransientWebhookError")


async def test_cancellation_triggers_replanning(
    e2e_client: AsyncTestClient,
    e2e_settings: Settings,
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
) -> None:
    await seed_catalog(session_factory)
    tech = await technician(
        session_factory,
        e2e_settings,
        name="Auto",
        at=(52.36, 4.9),
        shifts=[(tomorrow_local(7), tomorrow_local(19))],
        auto_accept=True,
    )
    agent = await factory.login(Role.AGENT)
    dispatcher = await factory.login(Role.DISPATCHER)
    booked: list[tuple[str, Any]] = []
    for n in range(2):
        cust = await customer(session_factory, e2e_settings, f"C-R{n}")
        r = await e2e_client.post(
            "/escalations", json=escalation(f"T-R{n}", f"C-R{n}"), headers=agent.headers
        )
        order_id = r.json()["work_order"]["id"]
        slots = (await e2e_client.get(f"/work-orders/{order_id}/slots", headers=cust.headers)).json()["slots"]
        slot = slots[0]
        r = await e2e_client.post(
            f"/work-orders/{order_id}/appointment",
            json={"window_start": slot["start"], "window_end": slot["end"]},
            headers=cust.headers,
        )
        assert r.status_code == 201, r.text
        booked.append((order_id, cust))
    run = (await e2e_client.post("/dispatch/regions/default/runs", headers=dispatcher.headers)).json()
    assert run["auto_assigned"] == 2, run  # auto-accept: assignments, not offers
    await run_worker(e2e_settings, extras=extras())

    first_id, first_cust = booked[0]
    r = await e2e_client.post(
        f"/work-orders/{first_id}/appointment/cancel",
        json={"reason": "fixed it myself"},
        headers=first_cust.headers,
    )
    assert r.status_code == 200, r.text
    task_ctx.extras.update(extras())
    assert await dispatch_tasks.sweep_changes(task_ctx) >= 1
    await run_worker(e2e_settings, extras=extras())
    replans = await outbox_rows(session_factory, "dispatch.replan_technician")
    assert [(r.args["technician_id"], r.args["reason"], r.status) for r in replans] == [
        (str(tech.user.technician_id), "a visit was cancelled", OutboxStatus.DONE)
    ]
    assert await dispatch_tasks.sweep_changes(task_ctx) >= 1
    assert len(await outbox_rows(session_factory, "dispatch.replan_technician")) == 1  # once per change
    plan = (await e2e_client.get("/dispatch/regions/default/plan", headers=dispatcher.headers)).json()
    stops = next(t for t in plan["technicians"] if t["technician_id"] == str(tech.user.technician_id))[
        "stops"
    ]
    assert [s["work_order_id"] for s in stops] == [booked[1][0]]
    assert stops[0]["eta"] is not None
    await asyncio.sleep(0)
