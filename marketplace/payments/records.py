"""The payment row: whether it is ready or holds the price, what the customer reads, and the
idempotency keys and ledger correlations derived from its id. Its queries (finding and
locking it) are `repository.py`'s."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.errors import PROBLEM_BASE, NotFound
from marketplace.payments.errors import PaymentDeclined, PaymentMethodRequired
from marketplace.payments.gateway import (
    IntentState,
)
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.repository import payment_for_order
from marketplace.users.models import Role

PAYMENT_METHOD_REQUIRED = "payment_method_required"


def stripe_key(prefix: str, payment: Payment) -> str:
    """Idempotency key for a Stripe call about this payment (`pi-authorize-<id>`, ...)."""
    key = f"{prefix}-{payment.id}"
    return key if payment.attempt == 1 else f"{key}-a{payment.attempt}"


def capture_correlation(payment: Payment) -> str:
    return f"capture:{payment.id}"


def refund_correlation(payment: Payment) -> str:
    return f"refund:{payment.id}"


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


def remember_intent(payment: Payment, state: IntentState) -> None:
    payment.stripe_payment_intent_id = state.id
    if state.charge_id:
        payment.stripe_charge_id = state.charge_id
