"""Offers' reactions to other domains' events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.events import TechnicianSuspended
from marketplace.offers.answers import withdraw_pending_offers_of_technician


async def withdraw_offers_of_suspended(session: AsyncSession, event: TechnicianSuspended) -> None:
    """A suspended technician's open offers are withdrawn and their orders offered again."""
    await withdraw_pending_offers_of_technician(
        session, event.technician_id, reason=event.reason, now=event.now
    )
