"""`fieldhand simulate`: replay a compressed day through the real HTTP API and the real
workers, then print the day's metrics.

Time is compressed: one *tick* stands for 15 simulated minutes. Each tick, new tickets are
escalated by the agent (some urgent: instant dispatch, the rest booked by the customer
into the first slot that meets the SLA), the dispatcher runs batch dispatch for the region
(`runDispatch`), the periodic jobs run (instant sweep, offer expiry, re-planning, SLA
monitor, reminders, outbox, payouts), technicians answer their offers (most accept, some
decline) and advance each accepted visit one step (en route -> on site -> completed),
a few customers cancel, and customers review completed visits. Metrics are measured in
simulated time (ticks), so they read like a real day.

The API is served by uvicorn in-process on a free port (or `--base-url` for a running
server that shares the same database). Payments go to the configured gateway (dry run
without a Stripe key: no money moves).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import col, select

from demo.city import CATEGORIES, STAFF, seed_demo_city
from demo.fleet import READING_EVERY, repaired_boiler
from demo.simulation.setup import PASSWORD, SCALES, SimPeople, seed_sim_region
from marketplace.clock import utcnow
from marketplace.db import make_engine, make_session_factory, unit_of_work
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer
from marketplace.payouts.models import Payout
from marketplace.settings import Settings
from marketplace.support.models import CallbackRequest
from marketplace.work_orders.models import WorkOrder
from workers.context import TaskContext
from workers.crons import PERIODIC
from workers.queue import InProcessQueue

TICK_S = 15 * 60
M = "/mobile/v1"


@dataclass
class Tracked:
    order_id: str
    created_tick: int
    sla_window_s: float | None
    duration_s: int
    customer_email: str = ""
    assigned_tick: int | None = None
    done_tick: int | None = None
    status: str = "triaged"


@dataclass
class Day:
    orders: dict[str, Tracked] = field(default_factory=dict)
    escalations: int = 0
    bookings: int = 0
    accepts: int = 0
    declines: int = 0
    cancellations: int = 0
    reviews: int = 0
    dispatch_runs: int = 0
    readings_posted: int = 0


def _progress(i: int, n: int, day: Day) -> None:
    width = 30
    filled = int(width * i / max(n, 1))
    done = sum(1 for t in day.orders.values() if t.done_tick is not None)
    sys.stderr.write(
        f"\r[{'#' * filled}{'-' * (width - filled)}] {i}/{n} ticks  orders {len(day.orders)}  done {done} "
    )
    sys.stderr.flush()


class Sim:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        people: SimPeople,
        rng: random.Random,
        *,
        demand_rng: random.Random | None = None,
        urgent_share: float = 0.15,
        steps_per_tick: int = 1,
    ) -> None:
        self.http = http
        self.settings = settings
        self.people = people
        self.rng = rng  # technicians' and customers' behaviour
        self.demand_rng = demand_rng or rng  # the tickets: who, where, what, how urgent
        self.urgent_share = urgent_share
        self.steps_per_tick = steps_per_tick  # visit steps a technician gets through per tick
        self.reported: dict[uuid.UUID, datetime] = {}  # device -> time of its last report
        self.tokens: dict[str, dict[str, str]] = {}
        self.day = Day()
        self.categories = [c[0] for c in CATEGORIES if not c[5]]

    async def login(self, email: str, password: str) -> dict[str, str]:
        if email not in self.tokens:
            r = await self.http.post("/auth/token", json={"email": email, "password": password})
            r.raise_for_status()
            self.tokens[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[email]

    async def escalate(self, tick: int, n: int) -> None:
        agent = await self.login(STAFF[1][1], STAFF[1][2])
        demand = self.demand_rng
        for _ in range(n):
            _, email, ref = demand.choice(self.people.customers)
            urgent = demand.random() < self.urgent_share
            lat, lng = 52.3676 + demand.uniform(-0.05, 0.05), 4.9041 + demand.uniform(-0.08, 0.08)
            body = {
                "helpdesk": "simdesk",
                "ticket_id": f"{ref}-{tick}-{demand.randrange(10**6)}",
                "customer": {"external_id": ref, "name": f"Sim {ref}"},
                "location": {"lat": round(lat, 5), "lng": round(lng, 5), "address": "Amsterdam"},
                "summary": "Simulated ticket",
                "category": demand.choice(self.categories),
                "priority": 1 if urgent else 3,
                "region": self.people.region,
            }
            r = await self.http.post("/escalations", json=body, headers=agent)
            self.day.escalations += 1
            if r.status_code not in (200, 201) or not r.json().get("work_order"):
                continue
            wo = r.json()["work_order"]
            window = None
            if wo.get("sla_due_at"):
                window = (
                    _dt(wo["sla_due_at"]) - _dt(wo.get("created_at") or wo["sla_due_at"])
                ).total_seconds()
            self.day.orders[wo["id"]] = Tracked(
                wo["id"],
                tick,
                window,
                int(wo.get("duration_s") or 3600),
                customer_email=email,
                status=wo["status"],
            )
            if not urgent and wo["status"] == "triaged":
                await self.book(wo["id"], email)

    async def book(self, order_id: str, email: str) -> None:
        headers = await self.login(email, PASSWORD)
        slots = (
            (await self.http.get(f"/work-orders/{order_id}/slots", headers=headers)).json().get("slots", [])
        )
        pick = next((s for s in slots if s.get("meets_sla")), slots[0] if slots else None)
        if pick is None:
            return
        r = await self.http.post(
            f"/work-orders/{order_id}/appointment",
            json={"window_start": pick["start"], "window_end": pick["end"]},
            headers=headers,
        )
        self.day.bookings += int(r.status_code == 201)

    async def dispatch(self) -> None:
        dispatcher = await self.login(STAFF[2][1], STAFF[2][2])
        r = await self.http.post(f"/dispatch/regions/{self.people.region}/runs", headers=dispatcher)
        self.day.dispatch_runs += int(r.status_code == 200)

    async def technicians_act(self, tick: int) -> None:
        for _, email in self.people.technicians:
            headers = await self.login(email, PASSWORD)
            offers = (
                await self.http.get(f"{M}/offers", params={"status": "pending"}, headers=headers)
            ).json()
            for offer in offers.get("items", []):
                if self.rng.random() < 0.85:
                    r = await self.http.post(f"{M}/offers/{offer['id']}/accept", headers=headers)
                    self.day.accepts += int(r.status_code == 200)
                else:
                    await self.http.post(
                        f"{M}/offers/{offer['id']}/decline", json={"reason": "busy"}, headers=headers
                    )
                    self.day.declines += 1
            visits = (await self.http.get(f"{M}/visits", params={"state": "active"}, headers=headers)).json()
            for visit in visits.get("items", [])[:1]:  # one job at a time
                oid = visit.get("work_order_id") or visit.get("id")
                tracked = self.day.orders.get(oid)
                if tracked and tracked.assigned_tick is None:
                    tracked.assigned_tick = tick
                status = visit.get("status")
                for _ in range(self.steps_per_tick):
                    status = await self.advance(oid, status, tracked, tick, headers)
                    if status is None:
                        break

    async def advance(
        self, oid: str, status: str | None, tracked: Tracked | None, tick: int, headers: dict[str, str]
    ) -> str | None:
        """One step of a visit (en route, on site, completed); the new status, or None."""
        nxt = {"assigned": "en_route", "en_route": "on_site", "on_site": "completed"}.get(status or "")
        if nxt is None:
            return None
        body: dict[str, Any] = {"status": nxt}
        if nxt == "completed":
            body.update(notes="done (simulated)", time_spent_s=tracked.duration_s if tracked else 3600)
        r = await self.http.post(f"{M}/visits/{oid}/status", json=body, headers=headers)
        if r.status_code != 200:
            return None
        if nxt == "completed" and tracked:
            tracked.done_tick = tick
            await self.review(oid)
        return nxt

    async def devices_report(self) -> None:
        """Every device of the fleet posts its readings since its last report (the first
        report carries its recent history), authenticated with its own credential. A boiler
        whose proactive visit was completed has been repaired: it reads healthy again."""
        now = utcnow()
        repaired = await self.repaired_devices()
        for index, boiler in enumerate(self.people.boilers):
            if boiler.device_id in repaired and boiler.drift_per_h:
                boiler = self.people.boilers[index] = repaired_boiler(boiler, now)
            since = self.reported.get(boiler.device_id, boiler.origin - READING_EVERY)
            readings = boiler.readings(since, now)
            if not readings:
                continue
            body = {
                "readings": [
                    {"metric": r.metric, "value": r.value, "at": r.at.isoformat(), "unit": r.unit}
                    for r in readings
                ]
            }
            r = await self.http.post(
                "/telemetry", json=body, headers={"Authorization": f"Device {boiler.credential}"}
            )
            if r.status_code == 200:
                self.reported[boiler.device_id] = now
                self.day.readings_posted += len(readings)

    async def repaired_devices(self) -> set[uuid.UUID]:
        if not self.people.boilers:
            return set()
        agent = await self.login(STAFF[1][1], STAFF[1][2])
        r = await self.http.get(
            "/work-orders",
            params={"source": "device_alert", "status": "completed", "limit": 100},
            headers=agent,
        )
        refs = (
            [o.get("external_ref") or "" for o in r.json().get("items", [])] if r.status_code == 200 else []
        )
        return {uuid.UUID(ref.split(":")[1]) for ref in refs if ref.count(":") >= 3}

    async def review(self, order_id: str) -> None:
        tracked = self.day.orders[order_id]
        headers = await self.login(tracked.customer_email, PASSWORD)
        stars = self.rng.choice([3, 4, 5, 5, 5])
        r = await self.http.post(f"/work-orders/{order_id}/review", json={"stars": stars}, headers=headers)
        self.day.reviews += int(r.status_code in (200, 201))

    async def cancel_some(self) -> None:
        for tracked in list(self.day.orders.values()):
            if tracked.done_tick is None and tracked.assigned_tick is None and self.rng.random() < 0.03:
                agent = await self.login(STAFF[1][1], STAFF[1][2])
                r = await self.http.post(
                    f"/work-orders/{tracked.order_id}/appointment/cancel",
                    json={"reason": "simulated"},
                    headers=agent,
                )
                if r.status_code == 200:
                    tracked.status = "cancelled"
                    self.day.cancellations += 1


def _dt(value: str) -> Any:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def run_periodic(ctx: Any) -> None:
    """Every periodic job once (what arq cron / the in-process scheduler would do), then
    wait for the tasks they queued."""
    for job in PERIODIC:
        if job.name == "dispatch.batch_runs":
            continue  # the simulated dispatcher runs dispatch on demand each tick
        try:
            await job.run(ctx)
        except Exception as exc:  # report, keep the day going
            sys.stderr.write(f"\nperiodic job {job.name} failed: {exc}\n")
    await ctx.queue.drain()


async def metrics(settings: Settings, people: SimPeople, day: Day, hours: float) -> dict[str, Any]:
    engine = make_engine(settings)
    try:
        async with make_session_factory(engine)() as s:
            ids = [uuid.UUID(str(order_id)) for order_id in day.orders]  # SQLite needs real UUIDs
            orders = list(
                (
                    await s.execute(
                        select(WorkOrder).where(
                            sa.or_(
                                col(WorkOrder.region) == people.region,
                                sa.and_(
                                    col(WorkOrder.source) == "device_alert",
                                    col(WorkOrder.customer_id).in_(people.device_owners()),
                                ),
                            )
                        )
                    )
                ).scalars()
            )
            accepted = (
                list(
                    (
                        await s.execute(
                            select(Offer).where(col(Offer.work_order_id).in_(ids), Offer.status == "accepted")
                        )
                    ).scalars()
                )
                if ids
                else []
            )
            tech_ids = [uuid.UUID(str(t)) for t, _ in people.technicians]
            payouts = list(
                (
                    await s.execute(
                        select(Payout).where(col(Payout.technician_id).in_(tech_ids), Payout.status == "paid")
                    )
                ).scalars()
            )
            device_orders = [o for o in orders if o.source == "device_alert"]
            device_ids = [o.id for o in device_orders]
            customers_told = (
                int(
                    (
                        await s.execute(
                            select(sa.func.count())
                            .select_from(Notification)
                            .where(
                                col(Notification.work_order_id).in_(device_ids),
                                Notification.kind == "device.visit_proposed",
                            )
                        )
                    ).scalar_one()
                )
                if device_ids
                else 0
            )
            callbacks = (
                int(
                    (
                        await s.execute(
                            select(sa.func.count())
                            .select_from(CallbackRequest)
                            .where(col(CallbackRequest.work_order_id).in_(ids))
                        )
                    ).scalar_one()
                )
                if ids
                else 0
            )
    finally:
        await engine.dispose()
    done = [t for t in day.orders.values() if t.done_tick is not None]
    elapsed = {t.order_id: ((t.done_tick or 0) - t.created_tick + 1) * TICK_S for t in done}
    met = [t for t in done if t.sla_window_s is None or elapsed[t.order_id] <= t.sla_window_s]
    assigned = [t for t in day.orders.values() if t.assigned_tick is not None]
    waits = [((t.assigned_tick or 0) - t.created_tick + 0.5) * TICK_S for t in assigned]
    travel = [int(o.explanation.get("travel_m", 0)) for o in accepted]
    needs_callback = sum(1 for o in orders if o.status == "needs_callback")
    busy_s = sum(t.duration_s for t in done) + sum(m / 8.0 for m in travel)
    return {
        "tickets_escalated": day.escalations,
        "work_orders": len(orders),
        "bookings": day.bookings,
        "dispatch_runs": day.dispatch_runs,
        "offers_accepted": day.accepts,
        "offers_declined": day.declines,
        "cancellations": day.cancellations,
        "visits_completed": len(done),
        "reviews": day.reviews,
        "sla_met_pct": round(100 * len(met) / len(done), 1) if done else None,
        "avg_time_to_assign_min": round(sum(waits) / len(waits) / 60, 1) if assigned else None,  # type: ignore[operator]
        "travel_km_per_visit": round(sum(travel) / len(travel) / 1000, 2) if travel else None,
        "utilisation_pct": round(100 * busy_s / (len(people.technicians) * hours * 3600), 1),
        "callbacks": needs_callback + callbacks,
        "payouts_made": len(payouts),
        "payouts_total_eur": round(sum(p.amount_minor for p in payouts) / 100, 2),
        "device_readings_posted": day.readings_posted,
        "device_alert_orders": len(device_orders),
        "device_alerts_with_predicted_failure": sum(
            1
            for o in device_orders
            if any((e.get("device") or {}).get("predicted_failure_at") for e in o.context.get("entries", []))
        ),
        "device_alert_customers_told": customers_told,
    }


def _serve(settings: Settings) -> tuple[str, Any]:
    import socket

    import uvicorn

    from api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="simulate-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the API server did not start")
    return f"http://127.0.0.1:{port}", server


async def simulate(
    settings: Settings, *, hours: float, scale: str, seed: int, base_url: str | None
) -> dict[str, Any]:
    os.environ.setdefault("FIELDHAND_MONEY_PAYOUT_HOLD_S", "0")
    os.environ.setdefault("FIELDHAND_DISPATCH_INSTANT_OFFER_TTL_S", "60")
    rng = random.Random(seed)
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    now = utcnow()
    async with unit_of_work(factory) as session:
        await seed_demo_city(session, now=now)
    async with unit_of_work(factory) as session:
        people = await seed_sim_region(session, scale=scale, now=now, hours=hours, seed=seed)
    queue = InProcessQueue()
    ctx = TaskContext(settings=settings, engine=engine, session_factory=factory, queue=queue)
    queue.bind(ctx)
    server = None
    if base_url is None:
        base_url, server = _serve(settings)
    per_tick = SCALES[scale][2]
    ticks = max(1, round(hours * 3600 / TICK_S))
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            sim = Sim(http, settings, people, rng)
            for tick in range(ticks + 3):  # three quiet ticks at the end let work finish
                _progress(min(tick, ticks), ticks, sim.day)
                if tick < ticks:
                    await sim.escalate(tick, per_tick)
                await sim.devices_report()
                await sim.dispatch()
                await run_periodic(ctx)
                await sim.technicians_act(tick)
                if tick < ticks:
                    await sim.cancel_some()
                await run_periodic(ctx)
            _progress(ticks, ticks, sim.day)
            sys.stderr.write("\n")
            await asyncio.sleep(0.5)
            await run_periodic(ctx)
            await queue.drain()
        return await metrics(settings, people, sim.day, hours)
    finally:
        await queue.close()
        await engine.dispose()
        if server is not None:
            server.should_exit = True
