"""Every fairness query, by name: the dispatch ledger, counter-offers, and what fairness
reads of offers, customers and shifts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.customers.models import Customer
from marketplace.fairness.models import _FINAL_SQL, CounterOffer, DecisionKind, DispatchDecision
from marketplace.offers.models import Offer
from marketplace.pagination import Page, page_of
from marketplace.technicians.models import Shift
from marketplace.work_orders.models import WorkOrder


async def insert_decision(session: AsyncSession, values: dict[str, Any]) -> None:
    """Append one ledger row."""
    await session.execute(sa.insert(DispatchDecision.__table__).values(**values))  # type: ignore[attr-defined]


async def insert_final_decision(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Append an offer's final ledger row unless it has one (the partial unique index on
    `offer_id` decides); True when this call wrote it."""
    table = DispatchDecision.__table__  # type: ignore[attr-defined]
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    stmt = insert.values(**values).on_conflict_do_nothing(
        index_elements=["offer_id"], index_where=sa.text(_FINAL_SQL)
    )
    result = await session.execute(stmt.returning(table.c.id))
    return result.first() is not None


async def decisions_of(session: AsyncSession, work_order_id: uuid.UUID) -> list[DispatchDecision]:
    """The order's ledger rows, oldest first."""
    rows = await session.execute(
        select(DispatchDecision)
        .where(DispatchDecision.work_order_id == work_order_id)
        .order_by(sa.column("at"), sa.column("id"))
    )
    return list(rows.scalars())


async def ledger_rows_of_order(session: AsyncSession, work_order_id: uuid.UUID) -> list[DispatchDecision]:
    """The order's ledger rows, in no particular order."""
    query = select(DispatchDecision).where(DispatchDecision.work_order_id == work_order_id)
    return list((await session.execute(query)).scalars())


async def region_decisions(
    session: AsyncSession, region: str, *, start: datetime, end: datetime
) -> list[DispatchDecision]:
    """The region's ledger rows in [start, end)."""
    query = select(DispatchDecision).where(
        DispatchDecision.region == region,
        col(DispatchDecision.at) >= start,
        col(DispatchDecision.at) < end,
    )
    return list((await session.execute(query)).scalars())


async def region_rankings(
    session: AsyncSession, region: str, *, start: datetime, end: datetime
) -> list[DispatchDecision]:
    """The region's ranked and offered ledger rows with a cost, in [start, end)."""
    query = select(DispatchDecision).where(
        DispatchDecision.region == region,
        col(DispatchDecision.kind).in_([DecisionKind.RANKED, DecisionKind.OFFERED]),
        col(DispatchDecision.cost).is_not(None),
        col(DispatchDecision.at) >= start,
        col(DispatchDecision.at) < end,
    )
    return list((await session.execute(query)).scalars())


async def earnings_won(
    session: AsyncSession, region: str, *, since: datetime, until: datetime
) -> dict[uuid.UUID, int]:
    """Pay won per technician in `region` over [since, until)."""
    won = sa.func.coalesce(sa.func.sum(DispatchDecision.earnings_minor), 0)
    rows = await session.execute(
        select(DispatchDecision.technician_id, won)
        .where(
            DispatchDecision.region == region,
            DispatchDecision.kind == DecisionKind.WON,
            col(DispatchDecision.at) >= since,
            col(DispatchDecision.at) < until,
        )
        .group_by(col(DispatchDecision.technician_id))
    )
    return {tid: int(amount or 0) for tid, amount in rows.all()}


async def shifts_overlapping(
    session: AsyncSession, technician_ids: list[uuid.UUID], *, start: datetime, end: datetime
) -> list[Shift]:
    """The technicians' shifts overlapping [start, end)."""
    query = select(Shift).where(
        col(Shift.technician_id).in_(technician_ids),
        col(Shift.ends_at) > start,
        col(Shift.starts_at) < end,
    )
    return list((await session.execute(query)).scalars())


async def countered_offer(session: AsyncSession, offer_id: uuid.UUID) -> Offer | None:
    """The offer a counter answers (from the session when already loaded)."""
    return await session.get(Offer, offer_id)


async def order_customer(session: AsyncSession, order: WorkOrder) -> Customer | None:
    return await session.get(Customer, order.customer_id)


async def counter_offer(session: AsyncSession, counter_id: uuid.UUID) -> CounterOffer | None:
    return await session.get(CounterOffer, counter_id)


async def counter_of_offer(session: AsyncSession, offer_id: uuid.UUID) -> CounterOffer | None:
    """The offer's counter, if it has one (at most one, by a unique constraint)."""
    query = select(CounterOffer).where(CounterOffer.offer_id == offer_id)
    return (await session.execute(query)).scalar()


async def counters_by_offer(
    session: AsyncSession, offer_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CounterOffer]:
    """The counters of the given offers, by offer id."""
    if not offer_ids:
        return {}
    rows = await session.execute(select(CounterOffer).where(col(CounterOffer.offer_id).in_(offer_ids)))
    return {c.offer_id: c for c in rows.scalars()}


async def counter_offers_page(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> Page[CounterOffer]:
    """One page of counter-offers (of one status when given), oldest first."""
    query = select(CounterOffer)
    if status:
        query = query.where(CounterOffer.status == status)
    return await page_of(session, query, CounterOffer, cursor=cursor, limit=limit, newest_first=False)
