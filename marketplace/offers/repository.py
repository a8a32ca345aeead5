"""Every offers query, by name: offers, missed-offer receipts, and what offers read of work
orders, customers, technicians and the fairness ledger."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.customers.models import Customer
from marketplace.db_dialect import supports_row_locks
from marketplace.fairness.models import DecisionKind, DispatchDecision
from marketplace.offers.models import MissedOffer, Offer, OfferStatus
from marketplace.pagination import Page, page_of
from marketplace.technicians.models import Technician, TechnicianStatus
from marketplace.work_orders.models import WorkOrder


async def offer(session: AsyncSession, offer_id: uuid.UUID) -> Offer | None:
    return await session.get(Offer, offer_id)


async def offers_of_order(session: AsyncSession, order_id: uuid.UUID) -> list[Offer]:
    """Every offer ever made for the order, whatever its status."""
    query = select(Offer).where(Offer.work_order_id == order_id)
    return list((await session.execute(query)).scalars())


async def other_pending_offers(
    session: AsyncSession, order_id: uuid.UUID, accepted_id: uuid.UUID
) -> list[Offer]:
    """The order's pending offers other than the one just accepted."""
    query = select(Offer).where(
        Offer.work_order_id == order_id, Offer.status == OfferStatus.PENDING, Offer.id != accepted_id
    )
    return list((await session.execute(query)).scalars())


async def orders_with_expired_offers(session: AsyncSession, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Work orders (at most `limit`, each once) holding a pending offer past its expiry."""
    query = (
        select(Offer.work_order_id)
        .where(Offer.status == OfferStatus.PENDING, col(Offer.expires_at) <= now)
        .distinct()
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def expired_pending_offers(session: AsyncSession, order_id: uuid.UUID, *, now: datetime) -> list[Offer]:
    query = select(Offer).where(
        Offer.work_order_id == order_id,
        Offer.status == OfferStatus.PENDING,
        col(Offer.expires_at) <= now,
    )
    return list((await session.execute(query)).scalars())


async def pending_offers_of_technician(session: AsyncSession, technician_id: uuid.UUID) -> list[Offer]:
    query = select(Offer).where(Offer.technician_id == technician_id, Offer.status == OfferStatus.PENDING)
    return list((await session.execute(query)).scalars())


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


async def technician_offers_page(
    session: AsyncSession,
    technician_id: uuid.UUID,
    *,
    status: str | None,
    now: datetime,
    cursor: str | None,
    limit: int,
) -> Page[Offer]:
    """One page of the technician's offers, newest first. `pending` leaves out offers past
    their expiry and `expired` takes them in."""
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
    return await page_of(session, query, Offer, cursor=cursor, limit=limit)


async def missed_offers_page(
    session: AsyncSession, technician_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[MissedOffer]:
    """One page of the technician's missed-offer receipts, newest first."""
    return await page_of(
        session,
        select(MissedOffer).where(MissedOffer.technician_id == technician_id),
        MissedOffer,
        cursor=cursor,
        limit=limit,
    )


async def ranked_lower_receipts(
    session: AsyncSession, order_id: uuid.UUID, winner_id: uuid.UUID
) -> list[MissedOffer]:
    """The order's `ranked_lower` receipts of everyone but the winner."""
    query = select(MissedOffer).where(
        MissedOffer.work_order_id == order_id,
        MissedOffer.technician_id != winner_id,
        MissedOffer.reason_code == "ranked_lower",
    )
    return list((await session.execute(query)).scalars())


async def forget_missed_offers(
    session: AsyncSession, order_id: uuid.UUID, technician_ids: list[uuid.UUID]
) -> None:
    """Delete the order's receipts of technicians who are being offered it after all."""
    await session.execute(
        sa.delete(MissedOffer).where(
            col(MissedOffer.work_order_id) == order_id,
            col(MissedOffer.technician_id).in_(technician_ids),
        )
    )


async def losing_decisions(
    session: AsyncSession, order_id: uuid.UUID, winner_id: uuid.UUID
) -> list[DispatchDecision]:
    """The ledger's ranked, offered and declined rows of the order for everyone but the winner."""
    query = select(DispatchDecision).where(
        DispatchDecision.work_order_id == order_id,
        DispatchDecision.technician_id != winner_id,
        col(DispatchDecision.kind).in_([DecisionKind.RANKED, DecisionKind.OFFERED, DecisionKind.DECLINED]),
    )
    return list((await session.execute(query)).scalars())


async def offered_order(session: AsyncSession, order_id: uuid.UUID) -> WorkOrder | None:
    """The work order an offer or receipt is about (from the session when already loaded)."""
    return await session.get(WorkOrder, order_id)


async def offered_orders_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, WorkOrder]:
    """The work orders behind one page of offers or receipts, in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(WorkOrder).where(col(WorkOrder.id).in_(ids)))
    return {order.id: order for order in rows.scalars()}


async def order_customer(session: AsyncSession, order: WorkOrder) -> Customer | None:
    return await session.get(Customer, order.customer_id)


async def technician_taking_offer(session: AsyncSession, technician_id: uuid.UUID) -> Technician:
    """The technician accepting an offer, share-locked where the database has row locks, so a
    concurrent suspension waits for the accept or wins before it."""
    query = select(Technician).where(Technician.id == technician_id)
    if supports_row_locks(session):
        query = query.with_for_update(read=True)
    return (await session.execute(query)).scalar_one()


async def active_technicians_homed_in(
    session: AsyncSession, *, lat: tuple[float, float], lng: tuple[float, float]
) -> list[Technician]:
    """Active technicians whose home lies in the box [lat] x [lng] (bounds included)."""
    query = select(Technician).where(
        Technician.status == TechnicianStatus.ACTIVE,
        col(Technician.home_lat).between(*lat),
        col(Technician.home_lng).between(*lng),
    )
    return list((await session.execute(query)).scalars())
