"""Logins: a user (and their customer or technician profile) and a signed token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.auth import create_user, issue_token
from marketplace.clock import utcnow
from marketplace.customers.models import Customer
from marketplace.settings import Settings
from marketplace.technicians.models import Technician, TechnicianStatus
from marketplace.users.models import Role, User


@dataclass
class Login:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    async def login(
        self, role: Role, *, email: str | None = None, password: str = "pw-123456", **kw: object
    ) -> Login:
        async with self.session_factory() as session:
            customer_id = technician_id = None
            if role is Role.CUSTOMER:
                customer = Customer(name="Test Customer", email=email, tier=str(kw.get("tier", "standard")))
                session.add(customer)
                await session.flush()
                customer_id = customer.id
            if role is Role.TECHNICIAN:
                tech = Technician(
                    display_name="Test Tech",
                    home_lat=float(kw.get("lat", 52.37)),  # type: ignore[arg-type]
                    home_lng=float(kw.get("lng", 4.89)),  # type: ignore[arg-type]
                    status=TechnicianStatus.ACTIVE,
                )
                session.add(tech)
                await session.flush()
                technician_id = tech.id
            user = await create_user(
                session,
                email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.test",
                password=password,
                role=role,
                display_name=f"Test {role.value}",
                customer_id=customer_id,
                technician_id=technician_id,
                can_expedite=bool(kw.get("can_expedite", False)),
            )
            await session.commit()
            return Login(user=user, token=issue_token(self.settings, user, now=utcnow()))
