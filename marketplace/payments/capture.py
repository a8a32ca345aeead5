"""Capturing a completed visit's payment: the order's price within the authorised amount,
the ledger lines and the technician's payout."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events, outbox
from marketplace.errors import TryLater
from marketplace.ledger import service as ledger
from marketplace.messages import notices
from marketplace.payments import repository as repo
from marketplace.payments.gateway import (
    IntentState,
    PaymentGateway,
)
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.records import (
    capture_correlation,
    remember_intent,
    stripe_key,
)
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.pricing.service import (
    Split,
    settlement_split,
    split,
)
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.state import lock_work_order, record_event

log = logging.getLogger(__name__)


CAPTURE_TASK = "payments.capture"


class AuthorizationPending(TryLater):
    """Capture asked for before the authorisation finished: retry the task later."""


async def request_capture(session: AsyncSession, order: WorkOrder, *, now: datetime) -> Payment | None:
    """Completion hook: capture the order's (possibly adjusted) price in a task."""
    payment = await repo.payment_for_order(session, order.id)
    if payment is None:
        log.warning("visit completed without a payment", extra={"work_order_id": str(order.id)})
        return None
    await outbox.enqueue(
        session,
        CAPTURE_TASK,
        {"payment_id": str(payment.id)},
        dedupe_key=f"{CAPTURE_TASK}:{payment.id}",
        now=now,
    )
    return payment


async def capture_payment(
    session: AsyncSession,
    gateway: PaymentGateway,
    payment_id: uuid.UUID,
    *,
    policy: MoneyPolicy | None = None,
    now: datetime,
) -> Payment | None:
    policy = policy or load_policy()
    payment = await repo.payment_for_update(session, payment_id)
    if payment is None or payment.status == PaymentStatus.CAPTURED:
        return payment
    if payment.status == PaymentStatus.PENDING:
        raise AuthorizationPending(str(payment.id))
    if payment.status != PaymentStatus.AUTHORIZED:
        log.warning(
            "capture skipped", extra={"payment_id": str(payment.id), "payment_status": payment.status}
        )
        return payment
    assert payment.stripe_payment_intent_id is not None
    price = await repo.order_price(session, payment.work_order_id)
    wanted = price if price is not None else payment.amount_authorized_minor
    amount = min(wanted, payment.amount_authorized_minor)
    state = await gateway.capture(
        payment.stripe_payment_intent_id, amount_minor=amount, idempotency_key=stripe_key("capture", payment)
    )
    order = await lock_work_order(session, payment.work_order_id)
    captured = state.amount_received_minor or amount
    shares = settlement_split(captured, order, policy, has_technician=order.technician_id is not None)
    order.price_minor = captured
    order.fee_minor = shares.fee_minor
    order.updated_at = now
    await record_capture(
        session, payment, order, state, captured, policy, memo="visit completed", now=now, shares=shares
    )
    if wanted > payment.amount_authorized_minor:
        await record_event(
            session,
            order,
            "payment_capture_limited",
            actor=None,
            data={"wanted": wanted, "captured": captured, "authorized": payment.amount_authorized_minor},
            now=now,
        )
    return payment


async def record_capture(
    session: AsyncSession,
    payment: Payment,
    order: WorkOrder,
    state: IntentState,
    captured: int,
    policy: MoneyPolicy,
    *,
    memo: str,
    now: datetime,
    shares: Split | None = None,
) -> None:
    remember_intent(payment, state)
    payment.status = PaymentStatus.CAPTURED
    payment.amount_captured_minor = captured
    payment.updated_at = now
    if shares is None:
        shares = split(captured, policy, has_technician=order.technician_id is not None)
    lines = [
        ledger.Line(ledger.customer_account(payment.customer_id), -captured, "charge"),
        ledger.Line(ledger.PLATFORM_FEES, shares.fee_minor, "fee"),
    ]
    if order.technician_id is not None:
        lines.append(
            ledger.Line(ledger.technician_account(order.technician_id), shares.earnings_minor, "earning")
        )
    await ledger.post(
        session,
        correlation_id=capture_correlation(payment),
        lines=lines,
        currency=payment.currency,
        work_order_id=order.id,
        memo=f"{memo}; payment {payment.id}; intent {state.id}",
    )
    await record_event(
        session,
        order,
        "payment_captured",
        actor=None,
        data={
            "payment_id": str(payment.id),
            "amount": captured,
            "fee": shares.fee_minor,
            "earnings": shares.earnings_minor if order.technician_id else 0,
            "reason": memo,
        },
        now=now,
    )
    await notices.receipt(session, payment, order, now=payment.updated_at)
    if order.technician_id is not None and shares.earnings_minor > 0:
        await events.publish(
            session,
            events.EarningsCaptured(
                technician_id=order.technician_id,
                work_order_id=order.id,
                amount_minor=shares.earnings_minor,
                currency=payment.currency,
                policy=policy,
                now=now,
            ),
        )
