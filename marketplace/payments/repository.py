"""Every payment query, by name: payment rows (locked or not), saved cards, and what the
payment steps read of customers, their logins, work orders and stored Stripe events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from marketplace.customers.repository import customer as customer
from marketplace.db_dialect import row_for_update
from marketplace.external_events import ExternalEvent
from marketplace.payments.models import BillingProfile, Payment, PaymentStatus
from marketplace.users.models import User
from marketplace.work_orders.models import WorkOrder


async def payment_for_update(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    """The payment, re-read and locked (FOR UPDATE where the database has row locks) until
    the transaction ends."""
    return await row_for_update(session, Payment, payment_id, refresh=True)


async def payment_for_order(session: AsyncSession, work_order_id: uuid.UUID) -> Payment | None:
    """The work order's payment, if any (at most one, by a unique index)."""
    return (
        await session.execute(select(Payment).where(Payment.work_order_id == work_order_id))
    ).scalar_one_or_none()


async def payment_for_intent(session: AsyncSession, intent_id: str) -> Payment | None:
    """The payment holding this Stripe PaymentIntent, if any."""
    return (
        await session.execute(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
    ).scalar_one_or_none()


async def pending_payments_failed_with(
    session: AsyncSession, customer_id: uuid.UUID, failure_code: str
) -> list[Payment]:
    """The customer's payments still PENDING whose last attempt stopped with `failure_code`."""
    query = select(Payment).where(
        Payment.customer_id == customer_id,
        Payment.status == PaymentStatus.PENDING,
        Payment.failure_code == failure_code,
    )
    return list((await session.execute(query)).scalars())


async def billing_profile(session: AsyncSession, customer_id: uuid.UUID) -> BillingProfile | None:
    """The customer's saved payment method, if they saved one."""
    return await session.get(BillingProfile, customer_id)


async def customer_login_ids(session: AsyncSession, customer_id: uuid.UUID) -> list[uuid.UUID]:
    """The user ids of the customer's logins, to notify about a payment."""
    return list((await session.execute(select(User.id).where(User.customer_id == customer_id))).scalars())


async def order_price(session: AsyncSession, work_order_id: uuid.UUID) -> int | None:
    """The work order's current price in minor units (None while it has none)."""
    return await session.scalar(select(WorkOrder.price_minor).where(WorkOrder.id == work_order_id))


async def stored_event(session: AsyncSession, external_event_id: uuid.UUID) -> ExternalEvent | None:
    """A stored Stripe webhook event, by its row id."""
    return await session.get(ExternalEvent, external_event_id)
