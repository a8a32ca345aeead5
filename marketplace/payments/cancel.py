"""Cancelling a booking's payment: release the authorisation, keep the cancellation fee,
or refund down to it; and a lost authorisation reported by Stripe."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events, outbox
from marketplace.bookings.models import Appointment
from marketplace.ledger import service as ledger
from marketplace.ledger.repository import account_amount
from marketplace.payments import repository as repo
from marketplace.payments.capture import record_capture
from marketplace.payments.gateway import (
    PaymentGateway,
)
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.records import (
    capture_correlation,
    refund_correlation,
    remember_intent,
    stripe_key,
)
from marketplace.pricing.cancellation import collectable_fee
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.pricing.service import (
    split,
)
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.state import lock_work_order, record_event

CANCEL_TASK = "payments.settle_cancellation"


async def request_cancellation(
    session: AsyncSession,
    order: WorkOrder,
    appointment: Appointment,
    *,
    cancellation_fee_minor: int,
    now: datetime,
) -> Payment | None:
    """Cancellation hook: release the authorisation or keep the fee (in a task)."""
    if cancellation_fee_minor < 0:
        raise ValueError("cancellation fee cannot be negative")
    payment = await repo.payment_for_order(session, order.id)
    if payment is None:
        return None
    await outbox.enqueue(
        session,
        CANCEL_TASK,
        {"payment_id": str(payment.id), "attempt": payment.attempt, "fee_minor": cancellation_fee_minor},
        dedupe_key=f"{CANCEL_TASK}:{payment.id}:{payment.attempt}",
        now=now,
    )
    await record_event(
        session,
        order,
        "payment_cancellation_requested",
        actor=None,
        data={"payment_id": str(payment.id), "fee": cancellation_fee_minor, "currency": payment.currency},
        now=now,
    )
    return payment


async def settle_cancellation(
    session: AsyncSession,
    gateway: PaymentGateway,
    payment_id: uuid.UUID,
    attempt: int,
    fee_minor: int,
    *,
    policy: MoneyPolicy | None = None,
    now: datetime,
) -> Payment | None:
    policy = policy or load_policy()
    payment = await repo.payment_for_update(session, payment_id)
    if payment is None or payment.attempt != attempt:
        return payment
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
        return payment  # failed, released or refunded already: nothing left to settle
    payment.cancellation_fee_minor = fee_minor
    payment.updated_at = now
    if payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.CANCELED
        if fee_minor:
            payment.failure_reason = "Cancelled before the card was authorised; no fee collected."
        order = await lock_work_order(session, payment.work_order_id)
        await record_event(
            session, order, "payment_cancelled", actor=None, data={"payment_id": str(payment.id)}, now=now
        )
    elif payment.status == PaymentStatus.AUTHORIZED:
        assert payment.stripe_payment_intent_id is not None
        fee = collectable_fee(fee_minor, payment.amount_authorized_minor)
        if fee == 0:
            state = await gateway.cancel(
                payment.stripe_payment_intent_id, idempotency_key=stripe_key("cancel", payment)
            )
            remember_intent(payment, state)
            payment.status = PaymentStatus.CANCELED
            order = await lock_work_order(session, payment.work_order_id)
            await record_event(
                session, order, "payment_released", actor=None, data={"payment_id": str(payment.id)}, now=now
            )
        else:
            state = await gateway.capture(
                payment.stripe_payment_intent_id,
                amount_minor=fee,
                idempotency_key=stripe_key("capture", payment),
            )
            captured = state.amount_received_minor or fee
            order = await lock_work_order(session, payment.work_order_id)
            await record_capture(
                session, payment, order, state, captured, policy, memo="cancellation fee", now=now
            )
    elif payment.status == PaymentStatus.CAPTURED:
        await _refund_down_to(
            session,
            gateway,
            payment,
            collectable_fee(fee_minor, payment.amount_captured_minor),
            policy,
            now=now,
        )
    await session.flush()
    return payment


async def reconcile_intent(
    session: AsyncSession, gateway: PaymentGateway, intent_id: str, *, now: datetime
) -> Payment | None:
    """A PaymentIntent webhook arrived: read Stripe's current state (order of events is irrelevant)."""
    found = await repo.payment_for_intent(session, intent_id)
    if found is None:
        return None
    payment = await repo.payment_for_update(session, found.id)
    assert payment is not None
    state = await gateway.retrieve_intent(intent_id)
    if payment.status == PaymentStatus.AUTHORIZED and state.status == "canceled":
        order = await lock_work_order(session, payment.work_order_id)
        payment.status = PaymentStatus.CANCELED
        payment.failure_code = "authorization_canceled"
        payment.failure_reason = "The card authorisation was cancelled or expired at Stripe."
        payment.updated_at = now
        await record_event(
            session,
            order,
            "payment_authorization_lost",
            actor=None,
            data={"payment_id": str(payment.id)},
            now=now,
        )
    return payment


async def _refund_down_to(
    session: AsyncSession,
    gateway: PaymentGateway,
    payment: Payment,
    keep_minor: int,
    policy: MoneyPolicy,
    *,
    now: datetime,
) -> None:
    """Refund a captured payment so that only `keep_minor` stays charged."""
    assert payment.stripe_payment_intent_id is not None
    refund_amount = payment.amount_captured_minor - payment.amount_refunded_minor - keep_minor
    if refund_amount <= 0:
        return
    refund_id = await gateway.refund(
        payment.stripe_payment_intent_id,
        amount_minor=refund_amount,
        metadata={"payment_id": str(payment.id), "work_order_id": str(payment.work_order_id)},
        idempotency_key=stripe_key("refund", payment),
    )
    order = await lock_work_order(session, payment.work_order_id)
    payment.amount_refunded_minor += refund_amount
    payment.status = PaymentStatus.REFUNDED if keep_minor == 0 else PaymentStatus.PARTIALLY_REFUNDED
    capture_id = capture_correlation(payment)
    technician = order.technician_id
    fee_before = await account_amount(session, correlation_id=capture_id, account=ledger.PLATFORM_FEES)
    earned_before = (
        await account_amount(
            session, correlation_id=capture_id, account=ledger.technician_account(technician)
        )
        if technician is not None
        else 0
    )
    shares = split(keep_minor, policy, has_technician=earned_before > 0)
    fee_back = fee_before - shares.fee_minor
    earned_back = earned_before - shares.earnings_minor if earned_before > 0 else 0
    lines = [
        ledger.Line(ledger.customer_account(payment.customer_id), refund_amount, "refund"),
        ledger.Line(ledger.PLATFORM_FEES, -fee_back, "refund"),
    ]
    if technician is not None and earned_back:
        lines.append(ledger.Line(ledger.technician_account(technician), -earned_back, "refund"))
    await ledger.post(
        session,
        correlation_id=refund_correlation(payment),
        lines=lines,
        currency=payment.currency,
        work_order_id=order.id,
        memo=f"cancellation refund {refund_id}; kept {keep_minor}; payment {payment.id}",
    )
    order.price_minor = keep_minor
    order.fee_minor = shares.fee_minor
    await record_event(
        session,
        order,
        "payment_refunded",
        actor=None,
        data={
            "payment_id": str(payment.id),
            "refund_id": refund_id,
            "amount": refund_amount,
            "kept": keep_minor,
        },
        now=now,
    )
    if technician is not None:
        await events.publish(session, events.EarningsRefunded(order.id, shares.earnings_minor))
