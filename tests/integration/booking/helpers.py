"""Set-up helpers for the escalation/booking tests (real rows, real services)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.auth import create_user, issue_token
from marketplace.catalog.models import ServiceCategory, Skill
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.settings import Settings
from marketplace.technicians.models import Shift, Technician, TechnicianSkill, TechnicianStatus
from marketplace.users.models import Role
from tests.factories import Login

PROBLEM = "application/problem+json"
SITE = (52.3700, 4.8900)  # Amsterdam centre
NEAR = (52.3600, 4.9000)  # ~1.3 km away


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://fieldhand.dev/problems/{slug}", body
    return body


def tomorrow(hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(hours=hour, minutes=minute)


async def seed_catalog(sf: async_sessionmaker[AsyncSession]) -> None:
    async with sf() as s:
        s.add_all([Skill(code="hvac.repair", name="HVAC repair"), Skill(code="plumbing", name="Plumbing")])
        await s.flush()
        s.add_all(
            [
                ServiceCategory(
                    code="hvac-broken",
                    name="Heating does not work",
                    required_skills=[{"code": "hvac.repair", "min_level": 2}],
                    duration_s=3600,
                    base_price_minor=12_000,
                ),
                ServiceCategory(
                    code="thermostat-wifi",
                    name="Thermostat offline",
                    required_skills=[{"code": "hvac.repair", "min_level": 1}],
                    remote_fixable=True,
                    knowledge_base_hint="KB-112: power-cycle the thermostat and re-pair Wi-Fi",
                ),
            ]
        )
        await s.commit()


async def add_technician(
    sf: async_sessionmaker[AsyncSession],
    *,
    at: tuple[float, float] = NEAR,
    skills: dict[str, int] | None = None,
    shifts: list[tuple[datetime, datetime]] = (),  # type: ignore[assignment]
    radius_m: int = 25_000,
    name: str = "Tech",
) -> uuid.UUID:
    async with sf() as s:
        tech = Technician(
            display_name=name,
            home_lat=at[0],
            home_lng=at[1],
            status=TechnicianStatus.ACTIVE,
            service_radius_m=radius_m,
        )
        s.add(tech)
        await s.flush()
        for code, level in (skills if skills is not None else {"hvac.repair": 2}).items():
            s.add(TechnicianSkill(technician_id=tech.id, skill_code=code, level=level))
        for start, end in shifts:
            s.add(Shift(technician_id=tech.id, starts_at=start, ends_at=end))
        await s.commit()
        return tech.id


async def customer_login(
    sf: async_sessionmaker[AsyncSession], settings: Settings, *, helpdesk: str = "zendesk", external_id: str
) -> Login:
    """A signed-in customer linked to the helpdesk customer id used in escalations."""
    async with sf() as s:
        customer = Customer(
            name=f"Customer {external_id}", external_source=helpdesk, external_ref=external_id
        )
        s.add(customer)
        await s.flush()
        user = await create_user(
            s,
            email=f"{external_id}-{uuid.uuid4().hex[:6]}@example.test",
            password="pw-123456",
            role=Role.CUSTOMER,
            display_name=customer.name,
            customer_id=customer.id,
        )
        await s.commit()
        return Login(user=user, token=issue_token(settings, user, now=utcnow()))


def escalation_body(ticket_id: str, customer_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "helpdesk": "zendesk",
        "ticket_id": ticket_id,
        "customer": {"external_id": customer_id, "name": f"Customer {customer_id}", "tier": "standard"},
        "location": {"lat": SITE[0], "lng": SITE[1], "address": "Dam 1, Amsterdam"},
        "summary": "Boiler shows error E23 and will not heat",
        "context": {
            "transcript_excerpt": "Customer: it beeps three times...",
            "device": {"model": "HX-200", "serial": "A1"},
            "steps_tried": ["reset", "checked pressure"],
        },
        "category": "hvac-broken",
    }
    body.update(overrides)
    return body


async def escalate(client: AsyncTestClient, agent: Login, ticket_id: str, customer_id: str, **kw: Any) -> Any:
    return await client.post(
        "/escalations", json=escalation_body(ticket_id, customer_id, **kw), headers=agent.headers
    )
