"""Customer payments: one manual-capture PaymentIntent per booking attempt.

States of a `Payment` (Stripe is called only from worker tasks, never from a request):

    booking hook ─> PENDING ──authorise task──> AUTHORIZED ──capture task──> CAPTURED
                       │  └─ no payment method: stays PENDING (failure_code
                       │     payment_method_required) until the customer saves one
                       ├─ declined: FAILED; the appointment is cancelled, the work order goes
                       │  to needs_callback, the customer gets a `payment-declined` problem
                       └─ cancelled before authorisation: CANCELED (nothing at Stripe)
    AUTHORIZED ──cancel, fee 0──> CANCELED (authorisation released)
    AUTHORIZED ──cancel, fee F──> CAPTURED for F only (Stripe releases the rest)
    CAPTURED   ──cancel, fee F──> PARTIALLY_REFUNDED / REFUNDED (refund captured - F)

While a booking is PENDING the visit is "booked, pending payment": `payment_ready` tells
dispatch whether the authorisation is in place. A FAILED or CANCELED payment that moved no
money is reused for the next booking of the same order (`attempt` + 1, new PaymentIntent).

Tasks lock the payment row (FOR UPDATE) for their whole run, so authorise / capture /
cancel for one payment never interleave; each Stripe call carries an idempotency key from
the payment id (and attempt), so a task that dies after Stripe answered but before our
commit replays Stripe's stored answer on retry instead of creating a second object.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from marketplace import outbox
from marketplace.auth import Principal
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.customers.models import Customer
from marketplace.db_dialect import supports_row_locks
from marketplace.errors import PROBLEM_BASE, NotFound
from marketplace.ledger import service as ledger
from marketplace.messages import notices
from marketplace.notifications.service import send_notification
from marketplace.payments.errors import AlreadyPaid, PaymentDeclined, PaymentMethodRequired
from marketplace.payments.gateway import (
    CardDeclined,
    IntentState,
    PaymentGateway,
    StripeRequestRejected,
    TransientStripeError,
)
from marketplace.payments.models import BillingProfile, Payment, PaymentStatus
from marketplace.pricing.cancellation import collectable_fee
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.pricing.service import (
    Split,
    authorization_amount,
    price_work_order,
    settlement_split,
    split,
)
from marketplace.users.models import Role, User
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S
from marketplace.work_orders.state import lock_work_order, record_event, transition

log = logging.getLogger(__name__)

AUTHORIZE_TASK = "payments.authorize"
CAPTURE_TASK = "payments.capture"
CANCEL_TASK = "payments.settle_cancellation"

PAYMENT_METHOD_REQUIRED = "payment_method_required"
DRY_RUN_PAYMENT_METHOD = "pm_dry_run_no_money_moves"
BOOKED_STATES = frozenset({S.SCHEDULED, S.OFFERED, S.ASSIGNED})


class AuthorizationPending(Exception):
    """Capture asked for before the authorisation finished: retry the task later."""


# ---------------------------------------------------------------------------- keys


def stripe_key(prefix: str, payment: Payment) -> str:
    """Idempotency key for a Stripe call about this payment (`pi-authorize-<id>`, ...)."""
    key = f"{prefix}-{payment.id}"
    return key if payment.attempt == 1 else f"{key}-a{payment.attempt}"


def capture_correlation(payment: Payment) -> str:
    return f"capture:{payment.id}"


def refund_correlation(payment: Payment) -> str:
    return f"refund:{payment.id}"


# ---------------------------------------------------------------------------- reads


async def lock_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    query = select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    if supports_row_locks(session):
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def payment_for_order(session: AsyncSession, work_order_id: uuid.UUID) -> Payment | None:
    return (
        await session.execute(select(Payment).where(Payment.work_order_id == work_order_id))
    ).scalar_one_or_none()


async def payment_ready(session: AsyncSession, work_order_id: uuid.UUID) -> bool:
    """True once the customer's card is authorised for this order (dispatch may proceed)."""
    payment = await payment_for_order(session, work_order_id)
    return payment is not None and payment.status == PaymentStatus.AUTHORIZED


async def price_is_agreed(session: AsyncSession, work_order_id: uuid.UUID) -> bool:
    """True while a payment for the order holds or has taken money at the order's price."""
    payment = await payment_for_order(session, work_order_id)
    return payment is not None and payment.status not in (PaymentStatus.FAILED, PaymentStatus.CANCELED)


@dataclass(frozen=True, slots=True)
class PaymentView:
    payment: Payment
    problem: dict[str, Any] | None


def _problem_for(payment: Payment) -> dict[str, Any] | None:
    if payment.status == PaymentStatus.FAILED:
        error: type[PaymentDeclined] | type[PaymentMethodRequired] = PaymentDeclined
    elif payment.status == PaymentStatus.PENDING and payment.failure_code == PAYMENT_METHOD_REQUIRED:
        error = PaymentMethodRequired
    else:
        return None
    return {
        "type": PROBLEM_BASE + error.slug,
        "title": error.title,
        "status": error.status,
        "detail": payment.failure_reason or error.title,
        "code": payment.failure_code,
    }


async def get_payment_for_customer(
    session: AsyncSession, principal: Principal, work_order_id: uuid.UUID
) -> PaymentView:
    """The payment of a work order: staff (agent, dispatcher, admin) read any order's, a
    customer only their own (404 for anyone else's)."""
    payment = await payment_for_order(session, work_order_id)
    staff = principal.role in (Role.AGENT, Role.DISPATCHER, Role.ADMIN)
    if payment is None or not (
        staff or (principal.customer_id is not None and payment.customer_id == principal.customer_id)
    ):
        raise NotFound("No payment for this work order")
    return PaymentView(payment=payment, problem=_problem_for(payment))


async def set_default_payment_method(
    session: AsyncSession, principal: Principal, payment_method: str, *, now: datetime
) -> BillingProfile:
    """Save the customer's card (a Stripe PaymentMethod id from Stripe.js) and retry waiting bookings."""
    if principal.customer_id is None:
        raise NotFound("No customer profile for this login")
    profile = await session.get(BillingProfile, principal.customer_id)
    if profile is None:
        profile = BillingProfile(customer_id=principal.customer_id, default_payment_method=payment_method)
        session.add(profile)
    else:
        profile.default_payment_method = payment_method
        profile.updated_at = now
    waiting = (
        await session.execute(
            select(Payment).where(
                Payment.customer_id == principal.customer_id,
                Payment.status == PaymentStatus.PENDING,
                Payment.failure_code == PAYMENT_METHOD_REQUIRED,
            )
        )
    ).scalars()
    for payment in waiting:
        payment.payment_method = payment_method
        payment.failure_code = None
        payment.failure_reason = None
        await outbox.enqueue(
            session, AUTHORIZE_TASK, {"payment_id": str(payment.id), "attempt": payment.attempt}, now=now
        )
    await session.flush()
    return profile


# ---------------------------------------------------------------------------- hooks


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
    payment = await payment_for_order(session, order.id)
    if payment is not None:
        payment = await lock_payment(session, payment.id) or payment
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            # a reschedule: the authorisation (or the one in progress) carries over
            payment.appointment_id = appointment.id
            payment.updated_at = now
            await session.flush()
            return payment
    quote = await price_work_order(session, order, policy=policy)
    to_authorize = authorization_amount(quote.price_minor, policy)
    profile = await session.get(BillingProfile, order.customer_id)
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
    payment = await payment_for_order(session, order.id)
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


async def request_capture(session: AsyncSession, order: WorkOrder, *, now: datetime) -> Payment | None:
    """Completion hook: capture the order's (possibly adjusted) price in a task."""
    payment = await payment_for_order(session, order.id)
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


# ---------------------------------------------------------------------------- task bodies


async def authorize(
    session: AsyncSession, gateway: PaymentGateway, payment_id: uuid.UUID, attempt: int, *, now: datetime
) -> Payment | None:
    # Lock order in tasks: the payment row first, the work order only after Stripe answered
    # (request flows hold the work order lock and never wait on a live payment's lock).
    payment = await lock_payment(session, payment_id)
    if payment is None or payment.attempt != attempt or payment.status != PaymentStatus.PENDING:
        return payment
    customer = await session.get(Customer, payment.customer_id)
    assert customer is not None
    if payment.payment_method is None:
        profile = await session.get(BillingProfile, payment.customer_id)
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
    _remember_intent(payment, state)
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


async def capture(
    session: AsyncSession,
    gateway: PaymentGateway,
    payment_id: uuid.UUID,
    *,
    policy: MoneyPolicy | None = None,
    now: datetime,
) -> Payment | None:
    policy = policy or load_policy()
    payment = await lock_payment(session, payment_id)
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
    price = await session.scalar(select(WorkOrder.price_minor).where(WorkOrder.id == payment.work_order_id))
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
    await _record_capture(
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
    payment = await lock_payment(session, payment_id)
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
            _remember_intent(payment, state)
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
            await _record_capture(
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
    found = (
        await session.execute(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
    ).scalar_one_or_none()
    if found is None:
        return None
    payment = await lock_payment(session, found.id)
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


# ---------------------------------------------------------------------------- helpers


def _remember_intent(payment: Payment, state: IntentState) -> None:
    payment.stripe_payment_intent_id = state.id
    if state.charge_id:
        payment.stripe_charge_id = state.charge_id


async def _record_capture(
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
    from marketplace.payouts.service import schedule_payout

    _remember_intent(payment, state)
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
        await schedule_payout(
            session,
            technician_id=order.technician_id,
            work_order_id=order.id,
            amount_minor=shares.earnings_minor,
            currency=payment.currency,
            policy=policy,
            now=now,
        )


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
    from marketplace.payouts.service import adjust_unpaid_payout

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
    fee_before = await ledger.account_amount(session, correlation_id=capture_id, account=ledger.PLATFORM_FEES)
    earned_before = (
        await ledger.account_amount(
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
        await adjust_unpaid_payout(session, work_order_id=order.id, new_amount_minor=shares.earnings_minor)


async def _declined(
    session: AsyncSession, payment: Payment, *, code: str, message: str, now: datetime
) -> None:
    order = await lock_work_order(session, payment.work_order_id)
    payment.status = PaymentStatus.FAILED
    payment.failure_code = code[:64]
    payment.failure_reason = message[:500]
    payment.updated_at = now
    if payment.appointment_id is not None:
        appointment = await session.get(Appointment, payment.appointment_id)
        if appointment is not None and appointment.status == AppointmentStatus.BOOKED:
            appointment.status = AppointmentStatus.CANCELLED
            appointment.cancelled_at = now
    if S(order.status) in BOOKED_STATES:
        await transition(
            session,
            order,
            S.NEEDS_CALLBACK,
            actor=None,
            reason=f"Payment declined ({code}); the appointment was released",
            data={"payment_id": str(payment.id)},
            now=now,
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
) -> None:
    users = (await session.execute(select(User.id).where(User.customer_id == payment.customer_id))).scalars()
    for user_id in users:
        await send_notification(
            session,
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
        )
