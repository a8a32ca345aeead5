"""Visits' reactions to other domains' events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.events import TechnicianMoved
from marketplace.visits.service import refresh_eta_after_move


async def refresh_eta(session: AsyncSession, event: TechnicianMoved) -> None:
    """A technician on the way has moved: their customer's ETA is worked out again."""
    await refresh_eta_after_move(session, event.technician, now=event.now)
