"""Authorising a booking's payment: the booking starts it, a worker task asks Stripe, a
saved card retries the bookings that waited for one, and a decline is recorded."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events, outbox
from marketplace.auth import Principal
from marketplace.bookings.models import Appointment
from marketplace.errors import PROBLEM_BASE, NotFound
from marketplace.messages import notices
from marketplace.notifications.notifier import DEFAULT_NOTIFIER, Message
from marketplace.payments import repository as repo
from marketplace.payments.errors import AlreadyPaid, PaymentDeclined, PaymentMethodRequired
from marketplace.payments.gateway import (
    CardDeclined,
    PaymentGateway,
    StripeRequestRejected,
    TransientStripeError,
)
from marketplace.payments.models import BillingProfile, Payment, PaymentStatus
from marketplace.payments.records import (
    PAYMENT_METHOD_REQUIRED,
    remember_intent,
    stripe_key,
)
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.pricing.service import (
    authorization_amount,
    price_work_order,
)
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.state import lock_work_order, record_event

AUTHORIZE_TASK = "payments.authorize"


DRY_RUN_PAYMENT_METHOD = "pm_dry_run_no_money_moves"


async def set_default_payment_method(
    session: AsyncSession, principal: Principal, payment_method: str, *, now: datetime
) -> BillingProfile:
    """Save the customer's card (a Stripe PaymentMethod id from Stripe.js) and retry waiting bookings."""
    if principal.customer_id is None:
        raise NotFound("No customer profile for this login")
    profile = await repo.billing_profile(session, principal.customer_id)
    if profile is None:
        profile = BillingProfile(customer_id=principal.customer_id, default_payment_method=payment_method)
        session.add(profile)
    else:
        profile.default_payment_method = payment_method
        profile.updated_at = now
    waiting = await repo.pending_payments_failed_with(session, principal.customer_id, PAYMENT_METHOD_REQUIRED)
    for payment in waiting:
        payment.payment_method = payment_method
        payment.failure_code = None
        payment.failure_reason = None
        await outbox.enqueue(
            session, AUTHORIZE_TASK, {"payment_id": str(payment.id), "attempt": payment.attempt}, now=now
        )
    await session.flush()
    return profile


async def start_authorization(
    session: AsyncSession,
    order: WorkOrder,
    appointment: Appointment,
    *,
    policy: MoneyPolicy | None = None,
    now: datetime,
) -> Payment:
    """Booking hook: quote, write the payment (PENDING) and enqueue the authorisation task.

    A new authorisation re-quotes the order, so the amount held is the order's current quote
    (plus the policy's overrun buffer); a reschedule keeps the authorisation and its price."""
    policy = policy or load_policy()
    payment = await repo.payment_for_order(session, order.id)
    if payment is not None:
        payment = await repo.payment_for_update(session, payment.id) or payment
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            # a reschedule: the authorisation (or the one in progress) carries over
            payment.appointment_id = appointment.id
            payment.updated_at = now
            await session.flush()
            return payment
    quote = await price_work_order(session, order, policy=policy)
    to_authorize = authorization_amount(quote.price_minor, policy)
    profile = await repo.billing_profile(session, order.customer_id)
    method = profile.default_payment_method if profile is not None else None
    if payment is None:
        payment = Payment(
            work_order_id=order.id,
            customer_id=order.customer_id,
            appointment_id=appointment.id,
            amount_authorized_minor=to_authorize,
            currency=quote.currency,
            payment_method=method,
        )
        session.add(payment)
        await session.flush()
    else:
        if payment.amount_captured_minor > 0 or payment.status not in (
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
        ):
            raise AlreadyPaid("This work order has already been charged; open a new work order")
        # a new attempt after a decline or a free cancellation: nothing was charged before
        payment.attempt += 1
        payment.status = PaymentStatus.PENDING
        payment.appointment_id = appointment.id
        payment.amount_authorized_minor = to_authorize
        payment.currency = quote.currency
        payment.payment_method = method
        payment.stripe_payment_intent_id = None
        payment.stripe_charge_id = None
        payment.failure_code = None
        payment.failure_reason = None
        payment.cancellation_fee_minor = None
        payment.updated_at = now
        await session.flush()
    await outbox.enqueue(
        session,
        AUTHORIZE_TASK,
        {"payment_id": str(payment.id), "attempt": payment.attempt},
        dedupe_key=f"{AUTHORIZE_TASK}:{payment.id}:{payment.attempt}",
        now=now,
    )
    await record_event(
        session,
        order,
        "payment_requested",
        actor=None,
        data={"payment_id": str(payment.id), "amount": to_authorize, "currency": quote.currency},
        now=now,
    )
    return payment


async def authorize(
    session: AsyncSession, gateway: PaymentGateway, payment_id: uuid.UUID, attempt: int, *, now: datetime
) -> Payment | None:
    # Lock order in tasks: the payment row first, the work order only after Stripe answered
    # (request flows hold the work order lock and never wait on a live payment's lock).
    payment = await repo.payment_for_update(session, payment_id)
    if payment is None or payment.attempt != attempt or payment.status != PaymentStatus.PENDING:
        return payment
    customer = await repo.customer(session, payment.customer_id)
    assert customer is not None
    if payment.payment_method is None:
        profile = await repo.billing_profile(session, payment.customer_id)
        payment.payment_method = profile.default_payment_method if profile is not None else None
    if payment.payment_method is None and gateway.dry_run:
        payment.payment_method = DRY_RUN_PAYMENT_METHOD  # no Stripe configured: nothing is charged anyway
    if payment.payment_method is None:
        if payment.failure_code != PAYMENT_METHOD_REQUIRED:
            payment.failure_code = PAYMENT_METHOD_REQUIRED
            payment.failure_reason = "Add a card to confirm this visit; it stays booked until then."
            await _notify_customer(
                session,
                payment,
                kind="payment.method_required",
                subject="Add a payment method to confirm your visit",
                problem=PaymentMethodRequired,
                now=now,
            )
        return payment
    if customer.stripe_customer_id is None:
        customer.stripe_customer_id = await gateway.create_customer(
            name=customer.name,
            email=customer.email,
            metadata={"customer_id": str(customer.id)},
            idempotency_key=f"customer-{customer.id}",
        )
    try:
        state = await gateway.authorize(
            amount_minor=payment.amount_authorized_minor,
            currency=payment.currency,
            customer=customer.stripe_customer_id,
            payment_method=payment.payment_method,
            metadata={
                "payment_id": str(payment.id),
                "work_order_id": str(payment.work_order_id),
                "attempt": str(payment.attempt),
            },
            idempotency_key=stripe_key("pi-authorize", payment),
        )
    except CardDeclined as declined:
        await _declined(
            session, payment, code=declined.decline_code or declined.code, message=declined.message, now=now
        )
        return payment
    except StripeRequestRejected as rejected:
        await _declined(
            session, payment, code=rejected.code or "payment_rejected", message=rejected.message, now=now
        )
        return payment
    remember_intent(payment, state)
    if state.status == "requires_capture":
        order = await lock_work_order(session, payment.work_order_id)
        payment.status = PaymentStatus.AUTHORIZED
        payment.amount_authorized_minor = state.amount_minor
        payment.failure_code = payment.failure_reason = None
        payment.updated_at = now
        await record_event(
            session,
            order,
            "payment_authorized",
            actor=None,
            data={"payment_id": str(payment.id), "amount": state.amount_minor, "intent": state.id},
            now=now,
        )
    elif state.status in ("requires_action", "requires_payment_method", "canceled"):
        await _declined(
            session,
            payment,
            code="authentication_required" if state.status == "requires_action" else "card_declined",
            message="Your bank did not approve this payment; please add another card.",
            now=now,
        )
    else:  # processing: ask again later
        raise TransientStripeError(f"PaymentIntent {state.id} is {state.status}")
    await session.flush()
    return payment


async def _declined(
    session: AsyncSession, payment: Payment, *, code: str, message: str, now: datetime
) -> None:
    order = await lock_work_order(session, payment.work_order_id)
    payment.status = PaymentStatus.FAILED
    payment.failure_code = code[:64]
    payment.failure_reason = message[:500]
    payment.updated_at = now
    await events.publish(
        session,
        events.PaymentDeclined(order, payment.id, payment.appointment_id, code=code, now=now),
    )
    await record_event(
        session,
        order,
        "payment_declined",
        actor=None,
        reason=message[:2000],
        data={
            "payment_id": str(payment.id),
            "code": code,
            "problem_type": PROBLEM_BASE + PaymentDeclined.slug,
        },
        now=now,
    )
    await _notify_customer(
        session,
        payment,
        kind="payment.declined",
        subject="Your card was declined",
        problem=PaymentDeclined,
        now=now,
    )
    await notices.payment_declined(session, payment, order, now=payment.updated_at)
    await session.flush()


async def _notify_customer(
    session: AsyncSession,
    payment: Payment,
    *,
    kind: str,
    subject: str,
    problem: type[PaymentDeclined] | type[PaymentMethodRequired],
    now: datetime,
) -> None:
    for user_id in await repo.customer_login_ids(session, payment.customer_id):
        await DEFAULT_NOTIFIER.send(
            session,
            Message(
                dedupe_key=f"{kind}:{payment.id}:{payment.attempt}:{user_id}",
                kind=kind,
                subject=subject,
                body=payment.failure_reason or "",
                recipient_user_id=user_id,
                work_order_id=payment.work_order_id,
                data={
                    "payment_id": str(payment.id),
                    "problem_type": PROBLEM_BASE + problem.slug,
                    "code": payment.failure_code,
                },
                webhook=False,
            ),
            now=now,
        )
