"""Set-up and worker helpers for the end-to-end tests."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from arq.connections import RedisSettings
from arq.worker import Worker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from marketplace.auth import create_user, issue_token
from marketplace.catalog.models import ServiceCategory, Skill
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.db import unit_of_work
from marketplace.outbox import OutboxStatus, OutboxTask
from marketplace.payments.models import BillingProfile
from marketplace.settings import Settings
from marketplace.technicians.models import Shift, Technician, TechnicianSkill, TechnicianStatus
from marketplace.users.models import Role
from tests.conftest import REDIS_URL
from tests.factories import Login
from workers.settings import WorkerSettings, run_outbox_task, shutdown, startup

SF = async_sessionmaker[AsyncSession]
SITE = (52.3700, 4.8900)


async def seed_catalog(sf: SF) -> None:
    async with unit_of_work(sf) as s:
        s.add(Skill(code="hvac.repair", name="HVAC repair"))
        await s.flush()
        s.add(
            ServiceCategory(
                code="no_heat",
                name="No heating",
                required_skills=[{"code": "hvac.repair", "min_level": 2}],
                duration_s=3600,
                base_price_minor=12_000,
            )
        )


REGION_ZONE = ZoneInfo("Europe/Amsterdam")  # the default region's zone (FIELDHAND_DEFAULT_TIMEZONE)


def tomorrow_local(hour: int, minute: int = 0) -> datetime:
    """Tomorrow at hour:minute in the region's zone (as UTC), from the session's clock: inside
    the day-ahead dispatch horizon whatever the hour the suite runs at."""
    local_tomorrow = utcnow().astimezone(REGION_ZONE).date() + timedelta(days=1)
    return datetime.combine(local_tomorrow, time(hour, minute), tzinfo=REGION_ZONE).astimezone(UTC)


async def technician(
    sf: SF,
    settings: Settings,
    *,
    name: str,
    at: tuple[float, float],
    shifts: list[tuple[datetime, datetime]],
    level: int = 2,
    auto_accept: bool = False,
    region: str = "default",
) -> Login:
    async with unit_of_work(sf) as s:
        tech = Technician(
            display_name=name,
            home_lat=at[0],
            home_lng=at[1],
            status=TechnicianStatus.ACTIVE,
            service_radius_m=20_000,
            auto_accept=auto_accept,
            region=region,
        )
        s.add(tech)
        await s.flush()
        s.add(TechnicianSkill(technician_id=tech.id, skill_code="hvac.repair", level=level))
        for start, end in shifts:
            s.add(Shift(technician_id=tech.id, starts_at=start, ends_at=end))
        user = await create_user(
            s,
            email=f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:6]}@example.test",
            password="pw-123456",
            role=Role.TECHNICIAN,
            display_name=name,
            technician_id=tech.id,
        )
    return Login(user=user, token=issue_token(settings, user, now=utcnow()))


async def customer(
    sf: SF, settings: Settings, external_id: str, *, card: str | None = "pm_card_visa"
) -> Login:
    async with unit_of_work(sf) as s:
        row = Customer(name=f"Customer {external_id}", external_source="zendesk", external_ref=external_id)
        s.add(row)
        await s.flush()
        if card:
            s.add(BillingProfile(customer_id=row.id, default_payment_method=card))
        user = await create_user(
            s,
            email=f"{external_id.lower()}-{uuid.uuid4().hex[:6]}@example.test",
            password="pw-123456",
            role=Role.CUSTOMER,
            display_name=row.name,
            customer_id=row.id,
        )
    return Login(user=user, token=issue_token(settings, user, now=utcnow()))


def escalation(ticket: str, customer_ref: str, **extra: Any) -> dict[str, Any]:
    return {
        "helpdesk": "zendesk",
        "ticket_id": ticket,
        "customer": {"external_id": customer_ref, "name": f"Customer {customer_ref}", "tier": "priority"},
        "location": {"lat": SITE[0], "lng": SITE[1], "address": "Dam 1, Amsterdam"},
        "summary": "No heating since this morning; boiler error E23",
        "context": {"transcript_excerpt": "It beeps three times", "steps_tried": ["reset"]},
        "category": "no_heat",
        **extra,
    }


def burst_worker(settings: Settings, *, extras: dict[str, Any] | None = None) -> Worker:
    ctx: dict[str, Any] = {"fieldhand_settings": settings.model_copy(update={"redis_url": REDIS_URL})}
    worker = Worker(
        functions=[run_outbox_task],
        queue_name=settings.queue_name,
        redis_settings=RedisSettings.from_dsn(REDIS_URL),
        burst=True,
        on_startup=_startup_with(extras or {}),
        on_shutdown=shutdown,
        ctx=ctx,
        max_tries=WorkerSettings.max_tries,
        poll_delay=0.05,
        handle_signals=False,
    )
    return worker


def _startup_with(extras: dict[str, Any]) -> Any:
    async def start(ctx: dict[str, Any]) -> None:
        await startup(ctx)
        ctx["fieldhand"].extras.update(extras)

    return start


async def run_worker(
    settings: Settings, *, extras: dict[str, Any] | None = None, rounds: int = 12, sf: SF | None = None
) -> None:
    """Burst workers until nothing runnable is left (tasks enqueue follow-up tasks, some
    deferred by a few milliseconds), checking the outbox for work about to come due."""
    from marketplace.clock import utcnow
    from marketplace.db import make_engine, make_session_factory

    engine = make_engine(settings) if sf is None else None
    factory = sf or make_session_factory(engine)  # type: ignore[arg-type]
    try:
        for _ in range(rounds):
            worker = burst_worker(settings, extras=extras)
            try:
                await worker.main()
            finally:
                await worker.close()
            if worker.jobs_complete + worker.jobs_failed + worker.jobs_retried:
                continue
            async with factory() as s:
                soon = (
                    await s.execute(
                        select(sa.func.count())
                        .select_from(OutboxTask)
                        .where(
                            col(OutboxTask.status).in_([OutboxStatus.PUSHED]),
                            col(OutboxTask.available_at) <= utcnow() + timedelta(seconds=2),
                            col(OutboxTask.attempts) == 0,
                        )
                    )
                ).scalar_one()
            if not soon:
                return
            await asyncio.sleep(0.3)
    finally:
        if engine is not None:
            await engine.dispose()


async def outbox_rows(sf: SF, name: str | None = None) -> list[OutboxTask]:
    async with sf() as s:
        q = select(OutboxTask)
        if name:
            q = q.where(OutboxTask.name == name)
        return list((await s.execute(q.order_by(col(OutboxTask.created_at)))).scalars())


async def failed_tasks(sf: SF) -> list[tuple[str, str | None]]:
    async with sf() as s:
        rows = await s.execute(
            select(OutboxTask.name, OutboxTask.last_error).where(
                sa.or_(OutboxTask.status == OutboxStatus.FAILED, col(OutboxTask.last_error).is_not(None))
            )
        )
        return [(n, e) for n, e in rows.all()]
