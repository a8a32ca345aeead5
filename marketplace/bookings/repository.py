"""Queries on appointments shared by bookings, offers, assignment and visits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from marketplace.bookings.models import Appointment, AppointmentStatus


async def live_appointment(session: AsyncSession, order_id: uuid.UUID) -> Appointment | None:
    """The order's booked (or held) appointment, if any: at most one, by a unique index."""
    query = select(Appointment).where(
        Appointment.work_order_id == order_id, Appointment.status == AppointmentStatus.BOOKED
    )
    return (await session.execute(query)).scalar_one_or_none()
