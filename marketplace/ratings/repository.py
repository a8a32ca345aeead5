"""Every rating query, by name: reviews, and the technician's running rating they feed."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.ratings.models import Review
from marketplace.technicians.models import Technician
from marketplace.users.models import Role


async def review_by(session: AsyncSession, order_id: uuid.UUID, author: Role) -> Review | None:
    """The review `author` wrote of a visit, if any (at most one per direction)."""
    query = sa.select(Review).where(
        Review.work_order_id == order_id,  # type: ignore[arg-type]
        Review.author_role == author.value,  # type: ignore[arg-type]
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_to_technician_rating(session: AsyncSession, technician_id: uuid.UUID, stars: int) -> None:
    """Count one more review of `stars` in the technician's rating, as one atomic increment,
    so that concurrent reviews of one technician's visits never lose a vote."""
    await session.execute(
        sa.update(Technician)
        .where(Technician.id == technician_id)  # type: ignore[arg-type]
        .values(rating_sum=Technician.rating_sum + stars, rating_count=Technician.rating_count + 1)
    )
