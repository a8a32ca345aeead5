"""Reviews of a completed visit, once per direction: the customer rates the technician (CSAT,
feeding the technician's rating) and the assigned technician rates the customer."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import Conflict, Forbidden
from marketplace.ratings import repository as repo
from marketplace.ratings.models import Review
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.reads import visible_order
from marketplace.work_orders.state import record_event


class AlreadyReviewed(Conflict):
    slug = "already-reviewed"
    title = "This visit has already been reviewed"


class NotReviewable(Conflict):
    slug = "not-reviewable"
    title = "Only a completed visit can be reviewed"


async def _completed_visit(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, author: Role, not_yet: str
) -> WorkOrder:
    """The caller's completed visit, locked; only `author` writes this direction's review."""
    if principal.role is not author:
        raise Forbidden(
            "Only the customer reviews a visit"
            if author is Role.CUSTOMER
            else "Only the visit's technician rates the customer"
        )
    order: WorkOrder = await visible_order(session, principal, order_id, lock=True)
    if order.status != S.COMPLETED or order.technician_id is None:
        raise NotReviewable(f"The visit is {order.status}; {not_yet}")
    return order


async def _add_review(
    session: AsyncSession,
    order: WorkOrder,
    *,
    author: Role,
    stars: int,
    comment: str | None,
    now: datetime,
    already: str,
) -> Review:
    """Insert the review once: the unique (work order, author role) key decides when two
    retries race."""
    assert order.technician_id is not None  # a completed visit has its technician
    review = Review(
        work_order_id=order.id,
        author_role=author.value,
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
        raise AlreadyReviewed(already) from exc
    return review


async def review_visit(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    stars: int,
    comment: str | None,
    now: datetime,
) -> Review:
    """The customer rates the technician of a completed visit, once."""
    order = await _completed_visit(
        session, principal, order_id, author=Role.CUSTOMER, not_yet="reviews open once it is completed"
    )
    review = await _add_review(
        session,
        order,
        author=Role.CUSTOMER,
        stars=stars,
        comment=comment,
        now=now,
        already="You already reviewed this visit",
    )
    assert order.technician_id is not None  # a completed visit has its technician
    await repo.add_to_technician_rating(session, order.technician_id, stars)
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
    """The technician who did a completed visit rates its customer, once."""
    order = await _completed_visit(
        session,
        principal,
        order_id,
        author=Role.TECHNICIAN,
        not_yet="the customer can be rated once it is completed",
    )
    review = await _add_review(
        session,
        order,
        author=Role.TECHNICIAN,
        stars=stars,
        comment=comment,
        now=now,
        already="You already rated the customer of this visit",
    )
    await record_event(session, order, "customer_rated", actor=principal, data={"stars": stars}, now=now)
    return review


async def customer_review(session: AsyncSession, order_id: uuid.UUID) -> Review | None:
    """The customer's review of a visit, if they wrote one."""
    return await repo.review_by(session, order_id, Role.CUSTOMER)
