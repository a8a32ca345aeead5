"""Which dispatch region a place belongs to.

Regions partition dispatch (each region is solved on its own). A caller may name one;
otherwise the region is the one most active technicians around the place belong to, so an
escalation in Amsterdam is dispatched with Amsterdam's technicians without the helpdesk
having to know our region names. Places with nobody around fall back to "default".
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from marketplace.technicians.models import Technician, TechnicianStatus

DEFAULT_REGION = "default"
NEIGHBOURHOOD_KM = 50.0


async def region_for_location(
    session: AsyncSession, lat: float, lng: float, *, radius_km: float = NEIGHBOURHOOD_KM
) -> str:
    dlat = radius_km / 111.0
    dlng = radius_km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    query = (
        sa.select(col(Technician.region), sa.func.count())
        .where(
            col(Technician.status) == TechnicianStatus.ACTIVE,
            col(Technician.home_lat).between(lat - dlat, lat + dlat),
            col(Technician.home_lng).between(lng - dlng, lng + dlng),
        )
        .group_by(col(Technician.region))
        .order_by(sa.func.count().desc(), col(Technician.region))
        .limit(1)
    )
    found = (await session.execute(query)).first()
    return str(found[0]) if found else DEFAULT_REGION
