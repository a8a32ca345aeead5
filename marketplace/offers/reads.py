"""A technician's offers and missed-offer receipts, as they read them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import NotFound
from marketplace.offers import repository
from marketplace.offers.models import MissedOffer, Offer, OfferStatus
from marketplace.offers.repository import open_offer_count as open_offer_count
from marketplace.pagination import Page
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
    offer = await repository.offer(session, offer_id)
    if offer is None or offer.technician_id != technician_id:
        raise NotFound("No such offer")  # someone else's offer looks exactly like a missing one
    return offer


async def get_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, now: datetime
) -> OfferView:
    offer = await own_offer(session, principal, offer_id)
    order = await repository.offered_order(session, offer.work_order_id)
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
    page = await repository.technician_offers_page(
        session, technician_id, status=status, now=now, cursor=cursor, limit=limit
    )
    orders = await repository.offered_orders_by_id(session, {o.work_order_id for o in page.items})
    return Page(
        [OfferView(o, orders[o.work_order_id], effective_status(o, now)) for o in page.items],
        page.next_cursor,
    )


async def list_missed_offers(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[tuple[MissedOffer, WorkOrder]]:
    """Receipts for jobs the technician was considered for and did not get, newest first."""
    technician_id = own_technician_id(principal)
    page = await repository.missed_offers_page(session, technician_id, cursor=cursor, limit=limit)
    orders = await repository.offered_orders_by_id(session, {m.work_order_id for m in page.items})
    return Page([(m, orders[m.work_order_id]) for m in page.items], page.next_cursor)
