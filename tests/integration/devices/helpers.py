"""Shared set-up for the device tests: a catalogue, an admin, a customer with a boiler."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.catalog.models import ServiceCategory, Skill
from marketplace.devices.models import Reading
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from tests.factories import Factory, Login

SF = async_sessionmaker[AsyncSession]
MODEL = "acme-boiler-x"
PROBLEM = "application/problem+json"


@dataclass
class Boiler:
    id: uuid.UUID
    credential: str
    owner: Login
    admin: Login

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Device {self.credential}"}


async def seed_catalog(sf: SF) -> None:
    async with sf() as s:
        s.add(Skill(code="hvac.repair", name="HVAC repair"))
        await s.flush()
        s.add(
            ServiceCategory(
                code="boiler-fault",
                name="Boiler fault",
                required_skills=[{"code": "hvac.repair", "min_level": 2}],
                duration_s=3600,
            )
        )
        await s.commit()


async def put_rule(client: AsyncTestClient, admin: Login, metric: str, kind: str, **body: Any) -> None:
    response = await client.put(f"/device-rules/{MODEL}/{metric}/{kind}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text


async def register_boiler(client: AsyncTestClient, factory: Factory, sf: SF) -> Boiler:
    await seed_catalog(sf)
    admin = await factory.login(Role.ADMIN)
    owner = await factory.login(Role.CUSTOMER)
    response = await client.post(
        "/devices",
        json={
            "kind": "boiler",
            "model": MODEL,
            "category": "boiler-fault",
            "name": "Kitchen boiler",
            "lat": 52.37,
            "lng": 4.89,
            "address": "Damrak 1, Amsterdam",
            "installed_on": "2019-05-01",
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Boiler(uuid.UUID(body["device"]["id"]), body["credential"], owner, admin)


def readings(metric: str, unit: str, points: list[tuple[datetime, float]]) -> dict[str, Any]:
    return {
        "readings": [{"metric": metric, "unit": unit, "value": v, "at": at.isoformat()} for at, v in points]
    }


async def stored_readings(sf: SF, device_id: uuid.UUID) -> int:
    async with sf() as s:
        query = sa.select(sa.func.count()).select_from(Reading).where(Reading.device_id == device_id)
        return int((await s.execute(query)).scalar_one())


async def device_orders(sf: SF) -> list[WorkOrder]:
    async with sf() as s:
        query = sa.select(WorkOrder).where(WorkOrder.source == "device_alert")
        return list((await s.execute(query)).scalars())
