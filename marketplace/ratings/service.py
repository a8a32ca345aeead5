"""Reviews of a completed visit, once per direction: the customer rates the technician (CSAT,
feeding the technician's rating) and the assigned technician rates the customer."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import Conflict, Forbidden
from marketplace.ratings.models import Review
from marketplace.technicians.models import Technician
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.service import visible_order
from marketplace.work_orders.state import record_event


class AlreadyReviewed(Conflict):
    slug = "already-reviewed"
    title = "This visit has already been reviewed"


class NotReviewable(Conflict):
    slug = "not-reviewable"
    title = "Only a completed visit can be reviewed"


async def review_visit(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    stars: int,
    comment: str | None,
    now: datetime,
) -> Review:
    if principal.role is not Role.CUSTOMER:
        raise Forbidden("Only the customer reviews a visit")
    order: WorkOrder = await visible_order(session, principal, order_id, lock=True)
    if order.status != S.COMPLETED or order.technician_id is None:
        raise NotReviewable(f"The visit is {order.status}; reviews open once it is completed")
    review = Review(
        work_order_id=order.id,
        author_role=Role.CUSTOMER.value,
        customer_id=order.customer_id,
        technician_id=order.technician_id,
        stars=stars,
        comment=comment,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(review)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyReviewed("You already reviewed this visit") from exc
    # atomic increment: concurrent reviews of one technician's visits never lose a vote
    await session.execute(
        sa.update(Technician)
        .where(Technician.id == order.technician_id)  # type: ignore[arg-type]
        .values(rating_sum=Technician.rating_sum + stars, rating_count=Technician.rating_count + 1)
    )
    await record_event(session, order, "reviewed", actor=principal, data={"stars": stars}, now=now)
    return review


async def rate_customer(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    stars: int,
    comment: str | None,
    now: datetime,
) -> Review:
    """The technician who did a completed visit rates its customer, once (the unique
    (work order, author role) key decides when two retries race)."""
    if principal.role is not Role.TECHNICIAN:
        raise Forbidden("Only the visit's technician rates the customer")
    order: WorkOrder = await visible_order(session, principal, order_id, lock=True)
    if order.status != S.COMPLETED or order.technician_id is None:
        raise NotReviewable(f"The visit is {order.status}; the customer can be rated once it is completed")
    review = Review(
        work_order_id=order.id,
        author_role=Role.TECHNICIAN.value,
        customer_id=order.customer_id,
        technician_id=order.technician_id,
        stars=stars,
        comment=comment,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(review)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyReviewed("You already rated the customer of this visit") from exc
    await record_event(session, order, "customer_rated", actor=principal, data={"stars": stars}, now=now)
    return review
