"""A fresh simulation region next to the demo city: technicians on shift now, customers
with logins and saved cards. Reuses the demo city's catalog and SLA policies."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from demo.city import CATEGORIES, CITY_CENTRE, CITY_TZ
from demo.fleet import Boiler, add_boiler, ensure_fleet_rules
from marketplace.auth import create_user
from marketplace.customers.models import Customer
from marketplace.payments.models import BillingProfile
from marketplace.technicians.models import Certification, Shift, Technician, TechnicianSkill
from marketplace.users.models import Role

PASSWORD = "sim-password-1"
SCALES = {"small": (12, 40, 3), "medium": (40, 150, 6), "full": (80, 300, 10)}  # techs, customers, per tick


@dataclass
class SimPeople:
    region: str
    technicians: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # id, email
    customers: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)  # id, email, external ref
    boilers: list[Boiler] = field(default_factory=list)  # connected devices; some drift toward failure
    owners: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # device id -> customer id

    def device_owners(self) -> list[uuid.UUID]:
        return sorted(set(self.owners.values()))


def _spot(rng: random.Random, km: float) -> tuple[float, float]:
    return (
        round(CITY_CENTRE[0] + rng.uniform(-km, km) / 111.0, 5),
        round(CITY_CENTRE[1] + rng.uniform(-km, km) / 68.0, 5),
    )


def _shifts(
    now: datetime, hours: float, days: int, day_hours: tuple[int, int]
) -> list[tuple[datetime, datetime]]:
    if not days:
        return [(now - timedelta(minutes=5), now + timedelta(hours=hours + 10))]
    first = now.astimezone(ZoneInfo(CITY_TZ)).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for d in range(days):
        day = (first + timedelta(days=d)).replace(tzinfo=None)
        out.append(
            (
                day.replace(hour=day_hours[0]).replace(tzinfo=ZoneInfo(CITY_TZ)),
                day.replace(hour=day_hours[1]).replace(tzinfo=ZoneInfo(CITY_TZ)),
            )
        )
    return out


async def seed_sim_region(
    session: AsyncSession,
    *,
    scale: str,
    now: datetime,
    hours: float,
    seed: int,
    days: int = 0,
    day_hours: tuple[int, int] = (8, 18),
) -> SimPeople:
    """With `days`, every technician works `day_hours` (local) on each of the `days` days
    from `now`'s date; otherwise one shift from now for `hours` (and some slack)."""
    n_techs, n_customers, _ = SCALES[scale]
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    people = SimPeople(region=f"sim-{run}")
    visit_skills = sorted(
        {s for _, _, skills, _, _, remote, _, _ in CATEGORIES if not remote for s, _ in skills}
    )
    for i in range(n_techs):
        lat, lng = _spot(rng, 8)
        tech = Technician(
            display_name=f"Sim Tech {i + 1:02d}",
            status="active",
            region=people.region,
            timezone=CITY_TZ,
            home_lat=lat,
            home_lng=lng,
            service_radius_m=rng.choice([10_000, 15_000, 20_000]),
            hourly_rate_minor=rng.choice([4_500, 5_500]),
            auto_accept=rng.random() < 0.25,
            stripe_account_id=f"acct_sim_{run}_{i}",
            payouts_enabled=True,
        )
        session.add(tech)
        await session.flush()
        for code in rng.sample(visit_skills, k=min(3, len(visit_skills))):
            session.add(TechnicianSkill(technician_id=tech.id, skill_code=code, level=rng.randint(2, 3)))
        for cert in ("gas_safe", "electrical_license"):
            if rng.random() < 0.5:
                session.add(
                    Certification(
                        technician_id=tech.id,
                        code=cert,
                        number=f"SIM-{run}-{i}",
                        issuer="Sim Registry",
                        status="verified",
                        expires_at=now + timedelta(days=365),
                    )
                )
        for starts_at, ends_at in _shifts(now, hours, days, day_hours):
            session.add(Shift(technician_id=tech.id, starts_at=starts_at, ends_at=ends_at))
        email = f"sim-tech-{run}-{i}@example.test"
        await create_user(
            session,
            email=email,
            password=PASSWORD,
            role=Role.TECHNICIAN,
            display_name=tech.display_name,
            technician_id=tech.id,
        )
        people.technicians.append((tech.id, email))
    tiers = ["standard"] * 6 + ["priority"] * 3 + ["premium"]
    for i in range(n_customers):
        ref = f"SIM-{run}-C{i}"
        customer = Customer(
            name=f"Sim Customer {i}",
            tier=rng.choice(tiers),
            timezone=CITY_TZ,
            external_source="simdesk",
            external_ref=ref,
        )
        session.add(customer)
        await session.flush()
        session.add(BillingProfile(customer_id=customer.id, default_payment_method="pm_card_visa"))
        email = f"sim-cust-{run}-{i}@example.test"
        await create_user(
            session,
            email=email,
            password=PASSWORD,
            role=Role.CUSTOMER,
            display_name=customer.name,
            customer_id=customer.id,
        )
        people.customers.append((customer.id, email, ref))
    await session.flush()
    await _seed_fleet(session, people, rng, now=now)
    return people


async def _seed_fleet(session: AsyncSession, people: SimPeople, rng: random.Random, *, now: datetime) -> None:
    """One connected boiler per ten customers (at least four); every other one loses
    pressure fast enough that its trend crosses the threshold within a day."""
    await ensure_fleet_rules(session, now=now)
    for i, (customer_id, _, _) in enumerate(people.customers[: max(4, len(people.customers) // 10)]):
        lat, lng = _spot(rng, 6)
        drift = -rng.uniform(0.03, 0.05) if i % 2 == 0 else 0.0
        device, boiler = await add_boiler(
            session, customer_id, name=f"Sim boiler {i + 1}", lat=lat, lng=lng, drift_per_h=drift, now=now
        )
        people.boilers.append(boiler)
        people.owners[device.id] = customer_id
