"""A technician's offers and missed-offer receipts, as they read them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.auth import Principal
from marketplace.errors import NotFound
from marketplace.offers.models import MissedOffer, Offer, OfferStatus
from marketplace.pagination import Page, keyset_page
from marketplace.technicians.service import own_technician_id
from marketplace.work_orders.models import WorkOrder


@dataclass(frozen=True, slots=True)
class OfferView:
    offer: Offer
    order: WorkOrder
    effective_status: str  # a pending offer past its expiry reads as "expired"


def effective_status(offer: Offer, now: datetime) -> str:
    if offer.status == OfferStatus.PENDING and offer.expires_at <= now:
        return OfferStatus.EXPIRED.value
    return offer.status


async def own_offer(session: AsyncSession, principal: Principal, offer_id: uuid.UUID) -> Offer:
    technician_id = own_technician_id(principal)
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.technician_id != technician_id:
        raise NotFound("No such offer")  # someone else's offer looks exactly like a missing one
    return offer


async def get_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, now: datetime
) -> OfferView:
    offer = await own_offer(session, principal, offer_id)
    order = await session.get(WorkOrder, offer.work_order_id)
    assert order is not None
    return OfferView(offer, order, effective_status(offer, now))


async def list_offers(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page[OfferView]:
    """The technician's offers, newest first. `status=pending` hides ones past their expiry."""
    technician_id = own_technician_id(principal)
    query = select(Offer).where(Offer.technician_id == technician_id)
    if status == OfferStatus.PENDING:
        query = query.where(Offer.status == OfferStatus.PENDING, col(Offer.expires_at) > now)
    elif status == OfferStatus.EXPIRED:
        query = query.where(
            sa.or_(
                col(Offer.status) == OfferStatus.EXPIRED,
                sa.and_(col(Offer.status) == OfferStatus.PENDING, col(Offer.expires_at) <= now),
            )
        )
    elif status:
        query = query.where(Offer.status == status)
    page = await keyset_page(
        session,
        query,
        sort_column=col(Offer.created_at),
        id_column=col(Offer.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda o: o.created_at,
        id_of=lambda o: o.id,
        descending=True,
    )
    orders = await _work_orders_by_id(session, {o.work_order_id for o in page.items})
    return Page(
        [OfferView(o, orders[o.work_order_id], effective_status(o, now)) for o in page.items],
        page.next_cursor,
    )


async def list_missed_offers(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[tuple[MissedOffer, WorkOrder]]:
    """Receipts for jobs the technician was considered for and did not get, newest first."""
    technician_id = own_technician_id(principal)
    page = await keyset_page(
        session,
        select(MissedOffer).where(MissedOffer.technician_id == technician_id),
        sort_column=col(MissedOffer.created_at),
        id_column=col(MissedOffer.id),
        cursor=cursor,
        limit=limit,
        sort_of=lambda m: m.created_at,
        id_of=lambda m: m.id,
        descending=True,
    )
    orders = await _work_orders_by_id(session, {m.work_order_id for m in page.items})
    return Page([(m, orders[m.work_order_id]) for m in page.items], page.next_cursor)


async def _work_orders_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, WorkOrder]:
    """The work orders behind one page of offers or receipts, in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(WorkOrder).where(col(WorkOrder.id).in_(ids)))
    return {order.id: order for order in rows.scalars()}


async def open_offer_count(session: AsyncSession, order_id: uuid.UUID) -> int:
    """The order's offers still pending or already accepted: none means nobody holds it."""
    query = (
        select(sa.func.count())
        .select_from(Offer)
        .where(
            Offer.work_order_id == order_id,
            col(Offer.status).in_([OfferStatus.PENDING, OfferStatus.ACCEPTED]),
        )
    )
    return int((await session.execute(query)).scalar_one())
