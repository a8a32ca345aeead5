"""Set-up for the mobile API tests: real rows, real HTTP, real PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.bookings.models import Appointment
from marketplace.catalog.models import Skill
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.db import unit_of_work
from marketplace.offers.rounds import OfferRound, create_offers_for_work_order
from marketplace.technicians.models import Certification, Shift, TechnicianSkill
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory, Login

PROBLEM = "application/problem+json"
PROBLEMS = "https://fieldhand.dev/problems/"
AMSTERDAM = (52.3702, 4.8952)


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + slug, body
    return body


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def seed_skills(session_factory: async_sessionmaker[AsyncSession], *codes: str) -> None:
    async with unit_of_work(session_factory) as s:
        for code in codes:
            if await s.get(Skill, code) is None:
                s.add(Skill(code=code, name=code))


@dataclass
class Tech:
    login: Login
    technician_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return self.login.headers


async def ready_technician(
    factory: Factory,
    *,
    lat: float = AMSTERDAM[0],
    lng: float = AMSTERDAM[1],
    skills: dict[str, int] | None = None,
    shift_hours: float = 8,
    certifications: dict[str, datetime | None] | None = None,
) -> Tech:
    """An active technician with skills and a shift from an hour ago, made with direct rows."""
    skills = skills or {"hvac.repair": 2}
    await seed_skills(factory.session_factory, *skills)
    login = await factory.login(Role.TECHNICIAN, lat=lat, lng=lng)
    technician_id = login.user.technician_id
    assert technician_id is not None
    now = utcnow()
    async with unit_of_work(factory.session_factory) as s:
        for code, level in skills.items():
            s.add(TechnicianSkill(technician_id=technician_id, skill_code=code, level=level))
        s.add(
            Shift(
                technician_id=technician_id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=shift_hours),
            )
        )
        for code, expires in (certifications or {}).items():
            s.add(
                Certification(
                    technician_id=technician_id,
                    code=code,
                    number="N-1",
                    issuer="Board",
                    expires_at=expires,
                    status="verified",
                )
            )
    return Tech(login, technician_id)


async def open_work_order(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    lat: float = AMSTERDAM[0] + 0.01,
    lng: float = AMSTERDAM[1] + 0.01,
    skills: list[dict[str, Any]] | None = None,
    certifications: list[str] | None = None,
    price_minor: int = 12_000,
    fee_minor: int = 2_400,
    with_appointment: bool = True,
    summary: str = "Boiler shows E119, no heating",
) -> uuid.UUID:
    """A triaged work order (and a booked arrival window) ready to be offered."""
    now = utcnow()
    async with unit_of_work(session_factory) as s:
        customer = Customer(name="Ada Customer", tier="standard")
        s.add(customer)
        await s.flush()
        order = WorkOrder(
            source="api",
            customer_id=customer.id,
            lat=lat,
            lng=lng,
            address="Keizersgracht 1, Amsterdam",
            summary=summary,
            context={"tried": ["reset the boiler"], "device": "Acme 3000"},
            required_skills=skills if skills is not None else [{"code": "hvac.repair", "min_level": 1}],
            required_certifications=certifications or [],
            duration_s=3600,
            priority=3,
            status="triaged",
            price_minor=price_minor,
            fee_minor=fee_minor,
        )
        s.add(order)
        await s.flush()
        if with_appointment:
            s.add(
                Appointment(
                    work_order_id=order.id,
                    customer_id=customer.id,
                    window_start=now,
                    window_end=now + timedelta(hours=4),
                )
            )
        return order.id


async def offer_round(
    session_factory: async_sessionmaker[AsyncSession], work_order_id: uuid.UUID, **kw: Any
) -> OfferRound:
    kw.setdefault("now", utcnow())
    async with unit_of_work(session_factory) as s:
        return await create_offers_for_work_order(s, work_order_id, **kw)


async def pending_offers(client: AsyncTestClient, tech: Tech) -> list[dict[str, Any]]:
    response = await client.get("/mobile/v1/offers", params={"status": "pending"}, headers=tech.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
